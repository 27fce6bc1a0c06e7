import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";

export function ShellSkeleton() {
  return (
    <div className="flex min-h-dvh flex-col" aria-busy="true" aria-label="Loading">
      <div className="bg-card border-b">
        <div className="mx-auto flex max-w-7xl items-center gap-4 px-4 py-3">
          <Skeleton className="h-6 w-28" />
          <Skeleton className="h-6 w-40" />
          <Skeleton className="ml-auto h-6 w-24" />
        </div>
      </div>
      <div className="mx-auto w-full max-w-7xl px-4 py-6">
        <PageSkeleton />
      </div>
    </div>
  );
}

export function CardsSkeleton({ count = 4 }: { count?: number }) {
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
      {Array.from({ length: count }, (_, i) => (
        <Card key={i} className="gap-3 py-4">
          <CardHeader className="px-4">
            <Skeleton className="h-4 w-28" />
          </CardHeader>
          <CardContent className="px-4">
            <Skeleton className="h-8 w-16" />
          </CardContent>
        </Card>
      ))}
    </div>
  );
}

export function TableSkeleton({ rows = 8 }: { rows?: number }) {
  return (
    <div className="space-y-2" aria-hidden>
      <Skeleton className="h-9 w-full max-w-sm" />
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-10 w-full" />
      ))}
    </div>
  );
}

export function PageSkeleton() {
  return (
    <div className="space-y-6" aria-busy="true">
      <span className="sr-only">Loading…</span>
      <Skeleton className="h-8 w-56" />
      <CardsSkeleton />
      <TableSkeleton />
    </div>
  );
}

export function ChartSkeleton() {
  return (
    <div className="space-y-6" aria-busy="true">
      <span className="sr-only">Loading the chart…</span>
      <Card>
        <CardContent className="space-y-3">
          <Skeleton className="h-7 w-64" />
          <Skeleton className="h-4 w-80 max-w-full" />
          <div className="flex gap-2">
            <Skeleton className="h-5 w-20" />
            <Skeleton className="h-5 w-24" />
          </div>
        </CardContent>
      </Card>
      <Skeleton className="h-9 w-full max-w-xl" />
      <TableSkeleton rows={5} />
    </div>
  );
}
