import { Skeleton } from "@/components/ui/skeleton";
import { TableSkeleton } from "@/components/app/skeletons";

export default function Loading() {
  return (
    <div className="grid gap-6" aria-busy="true">
      <span className="sr-only">Loading the audit trail…</span>
      <Skeleton className="h-8 w-48" />
      <Skeleton className="h-40 w-full rounded-lg" />
      <TableSkeleton rows={10} />
    </div>
  );
}
