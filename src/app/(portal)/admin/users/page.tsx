import { Suspense } from "react";
import Link from "next/link";
import { TableSkeleton } from "@/components/app/skeletons";
import { AddUserDialog } from "@/components/app/admin/add-user-dialog";
import { UsersBrowser } from "@/components/app/admin/users-browser";
import { UsersFilters } from "@/components/app/admin/users-filters";
import { UsersTable } from "@/components/app/admin/users-table";
import { listUsers, ZListUsersQuery } from "@/core/auth/admin-users";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";
import { searchUsers } from "./actions";
import { adminMetadata, adminOnly } from "../_admin-only";

export const generateMetadata = adminMetadata("Users");

const PAGE_SIZE = 50;
const PENDING_SHOWN = 50;

/** Only non-PHI values come from the URL: a role and a status. The search text never does (users-browser.tsx). */
type SP = Promise<{ role?: string; status?: string }>;

export default async function UsersPage({ searchParams }: { searchParams: SP }) {
  await adminOnly(); // before anything of the page renders
  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
          <p className="text-muted-foreground text-sm">
            Add staff and admins, verify providers, unlock and deactivate accounts. Deactivated accounts are signed out at once.
          </p>
        </div>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Users searchParams={searchParams} />
      </Suspense>
    </div>
  );
}

function readFilters(sp: Awaited<SP>) {
  const parsed = ZListUsersQuery.pick({ role: true, status: true }).safeParse({ role: sp.role || undefined, status: sp.status || undefined });
  return parsed.success ? parsed.data : { role: undefined, status: "all" as const };
}

async function Users({ searchParams }: { searchParams: SP }) {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const f = readFilters(await searchParams);
  const [pending, list] = await Promise.all([
    listUsers(session, { status: "pending", limit: PENDING_SHOWN, offset: 0 }, context),
    listUsers(session, { role: f.role, status: f.status, limit: PAGE_SIZE, offset: 0 }, context),
  ]);
  const filtered = f.role !== undefined || f.status !== "all";
  return (
    <>
      <div>
        <AddUserDialog />
      </div>
      <section aria-labelledby="pending" className="grid gap-3">
        <h2 id="pending" className="text-lg font-semibold">Providers waiting for verification ({pending.count})</h2>
        {pending.count ? (
          <>
            <p className="text-muted-foreground text-sm">“Email confirmed” says whether the provider followed the link mailed to their address at sign-up.</p>
            <UsersTable users={pending.data} selfId={viewer.id} caption="Providers waiting for verification" />
            {pending.count > pending.data.length && (
              <p className="text-muted-foreground text-sm">
                Showing the {pending.data.length} most recent.{" "}
                <Link className="text-primary underline-offset-4 hover:underline" href="/admin/users?status=pending#all">
                  Page through all {pending.count}
                </Link>
              </p>
            )}
          </>
        ) : (
          <p className="text-muted-foreground text-sm">No provider is waiting. New providers appear here after they sign up.</p>
        )}
      </section>
      <section aria-labelledby="all" className="grid gap-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="all" className="text-lg font-semibold">
            {filtered ? "Matching accounts" : "All accounts"} ({list.count})
          </h2>
          <UsersFilters role={f.role ?? ""} status={f.status} />
        </div>
        <UsersBrowser
          key={`${f.role ?? ""}:${f.status}`}
          initial={list}
          role={f.role}
          status={f.status}
          pageSize={PAGE_SIZE}
          selfId={viewer.id}
          emptyHint={filtered ? "No account has this role and status. Change the filters above." : undefined}
          search={searchUsers}
        />
      </section>
    </>
  );
}
