import { ChartSkeleton } from "@/components/app/skeletons";

export default function Loading() {
  return <ChartSkeleton />;
}
