import { cn } from "@/lib/utils";

/** A count pill read out as "N unread messages"; nothing when there are none. */
export function UnreadBadge({ count, className }: { count: number; className?: string }) {
  if (count <= 0) return null;
  const label = `${count} unread message${count === 1 ? "" : "s"}`;
  return (
    <span
      className={cn("bg-primary text-primary-foreground inline-flex min-w-5 items-center justify-center rounded-full px-1.5 text-xs leading-5 font-semibold tabular-nums", className)}
    >
      <span aria-hidden="true">{count > 99 ? "99+" : count}</span>
      <span className="sr-only">{label}</span>
    </span>
  );
}
