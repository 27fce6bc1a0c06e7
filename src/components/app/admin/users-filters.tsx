"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";

const ROLES = [
  ["", "All roles"],
  ["provider", "Providers"],
  ["patient", "Patients"],
  ["admin", "Admins"],
] as const;
const STATUSES = [
  ["all", "Any status"],
  ["active", "Active"],
  ["pending", "Pending verification"],
  ["inactive", "Deactivated"],
] as const;

/**
 * Role and status filters for the accounts list. A plain GET form (works before hydration);
 * once hydrated, a change applies at once and goes back to page 1. Neither value is PHI.
 */
export function UsersFilters({ role, status }: { role: string; status: string }) {
  const router = useRouter();
  const [pending, start] = React.useTransition();
  function apply(form: HTMLFormElement) {
    const data = new FormData(form);
    const q = new URLSearchParams();
    const r = String(data.get("role") ?? "");
    const s = String(data.get("status") ?? "all");
    if (r) q.set("role", r);
    if (s !== "all") q.set("status", s);
    start(() => router.push(`/admin/users${q.size ? `?${q}` : ""}#all`, { scroll: false }));
  }
  return (
    <form
      method="get"
      action="/admin/users"
      className="flex flex-wrap items-end gap-3"
      aria-busy={pending || undefined}
      onChange={(e) => apply(e.currentTarget)}
      onSubmit={(e) => {
        e.preventDefault();
        apply(e.currentTarget);
      }}
    >
      <div className="grid gap-1.5">
        <Label htmlFor="users-role">Role</Label>
        <NativeSelect id="users-role" name="role" defaultValue={role} className="min-w-36">
          {ROLES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="users-status">Status</Label>
        <NativeSelect id="users-status" name="status" defaultValue={status} className="min-w-44">
          {STATUSES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </NativeSelect>
      </div>
      <noscript>
        <button type="submit" className="h-9 rounded-md border px-3 text-sm">Apply</button>
      </noscript>
    </form>
  );
}
