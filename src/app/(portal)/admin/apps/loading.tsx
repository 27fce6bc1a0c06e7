import { Skeleton } from "@/components/ui/skeleton";
import { TableSkeleton } from "@/components/app/skeletons";

export default function Loading() {
  return (
    <div className="grid gap-6" aria-busy="true">
      <span className="sr-only">Loading the outside apps…</span>
      <Skeleton className="h-8 w-48" />
      <TableSkeleton rows={8} />
    </div>
  );
}
