import { CardsSkeleton, TableSkeleton } from "@/components/app/skeletons";
import { Skeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <div className="grid gap-6" aria-busy="true">
      <span className="sr-only">Loading patients…</span>
      <Skeleton className="h-8 w-40" />
      <CardsSkeleton />
      <TableSkeleton />
    </div>
  );
}
