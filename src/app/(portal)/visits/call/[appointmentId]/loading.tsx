import { PageSkeleton } from "@/components/app/skeletons";

export default function Loading() {
  return <PageSkeleton />;
}
