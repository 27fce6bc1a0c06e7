import { Skeleton } from "@/components/ui/skeleton";
import { TableSkeleton } from "../skeletons";

export function DevicesSkeleton() {
  return (
    <div className="grid gap-6" aria-busy="true">
      <span className="sr-only">Loading your devices…</span>
      <Skeleton className="h-4 w-28" />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="grid gap-2">
          <Skeleton className="h-8 w-40" />
          <Skeleton className="h-4 w-80 max-w-full" />
        </div>
        <Skeleton className="h-9 w-44" />
      </div>
      <TableSkeleton rows={3} />
    </div>
  );
}
