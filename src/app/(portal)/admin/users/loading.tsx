import { TableSkeleton } from "@/components/app/skeletons";

export default function Loading() {
  return <TableSkeleton />;
}
