"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/lib/utils";

export interface NavItem {
  href: string;
  label: string;
}

/**
 * No prefetch on these links (nor on any link to PHI): a prefetch renders the target's
 * layouts on the server, and a chart's layout records an audited read the user never made.
 */
export function NavLinks({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  return (
    <ul className="flex items-center gap-1 overflow-x-auto">
      {items.map((item) => {
        // "/admin" is a hub whose sub-pages have their own entries: it is active only on itself.
        // A section is not active on a sub-page that has its own entry ("/my-records/devices").
        const active =
          pathname === item.href ||
          (item.href !== "/admin" && pathname.startsWith(`${item.href}/`) && !items.some((o) => o.href.startsWith(`${item.href}/`) && (pathname === o.href || pathname.startsWith(`${o.href}/`))));
        return (
          <li key={item.href}>
            <Link
              href={item.href}
              prefetch={false}
              aria-current={active ? "page" : undefined}
              className={cn(
                "hover:bg-accent hover:text-accent-foreground rounded-md px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors",
                active ? "bg-accent text-accent-foreground" : "text-muted-foreground",
              )}
            >
              {item.label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
