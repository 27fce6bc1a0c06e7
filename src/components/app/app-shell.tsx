import Link from "next/link";
import { HeartPulseIcon } from "lucide-react";
import type { Viewer } from "@/core/portal/get-viewer";
import { staffIdleMinutes } from "@/core/auth/staff-idle";
import { IdleTimeout } from "./idle-timeout";
import { NavLinks, type NavItem } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

function navFor(viewer: Viewer): NavItem[] {
  switch (viewer.role) {
    case "patient":
      return [{ href: "/my-records", label: "My records" }, { href: "/my-records/devices", label: "Devices" }, { href: "/account", label: "Account" }];
    case "provider":
      return viewer.verified
        ? [{ href: "/patients", label: "Patients" }, { href: "/today", label: "Today" }, { href: "/emergency-access", label: "Emergency access" }, { href: "/account", label: "Account" }]
        : [{ href: "/account", label: "Account" }];
    case "admin":
      return [
        { href: "/patients", label: "Patients" },
        { href: "/admin/users", label: "Users" },
        { href: "/admin", label: "Admin" },
        { href: "/account", label: "Account" },
      ];
  }
}

/** The signed-in frame: brand, navigation by role, who is signed in, sign-out, staff idle timeout. */
export function AppShell({ viewer, children }: { viewer: Viewer; children: React.ReactNode }) {
  const home = viewer.role === "patient" ? "/my-records" : viewer.role === "provider" && !viewer.verified ? "/waiting" : "/patients";
  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="bg-primary text-primary-foreground sr-only z-50 rounded-md px-3 py-2 focus:not-sr-only focus:absolute focus:top-2 focus:left-2">
        Skip to content
      </a>
      <header className="bg-card sticky top-0 z-40 border-b">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-1 px-4 py-2">
          <Link href={home} prefetch={false} className="flex items-center gap-2 font-semibold">
            <HeartPulseIcon aria-hidden className="text-primary size-5" />
            Carebase
          </Link>
          <nav aria-label="Main" className="order-3 w-full min-w-0 sm:order-none sm:w-auto sm:flex-1">
            <NavLinks items={navFor(viewer)} />
          </nav>
          <div className="ml-auto flex items-center gap-2 text-sm">
            <span className="text-muted-foreground hidden max-w-48 truncate md:inline" title={viewer.email}>
              {viewer.fullName}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-4 py-6">
        {children}
      </main>
      {viewer.role !== "patient" && <IdleTimeout minutes={staffIdleMinutes()} />}
    </div>
  );
}
