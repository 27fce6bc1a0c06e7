import { Suspense } from "react";
import { TableSkeleton } from "@/components/app/skeletons";
import { UsersTable } from "@/components/app/admin/users-table";
import { listUsers } from "@/core/auth/admin-users";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";

export const metadata = { title: "Users" };

export default function UsersPage() {
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
        <p className="text-muted-foreground text-sm">Verify providers, deactivate accounts. Deactivated accounts are signed out at once.</p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Users />
      </Suspense>
    </div>
  );
}

async function Users() {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const [pending, all] = await Promise.all([
    listUsers(session, { role: "provider", status: "active", limit: 200, offset: 0 }, context),
    listUsers(session, { status: "all", limit: 200, offset: 0 }, context),
  ]);
  const waiting = pending.data.filter((u) => !u.verified);
  return (
    <>
      <section aria-labelledby="pending" className="grid gap-3">
        <h2 id="pending" className="text-lg font-semibold">Providers waiting for verification ({waiting.length})</h2>
        {waiting.length ? (
          <UsersTable users={waiting} selfId={viewer.id} />
        ) : (
          <p className="text-muted-foreground text-sm">No provider is waiting. New providers appear here after they sign up.</p>
        )}
      </section>
      <section aria-labelledby="all" className="grid gap-3">
        <h2 id="all" className="text-lg font-semibold">All accounts ({all.count})</h2>
        <UsersTable users={all.data} selfId={viewer.id} />
      </section>
    </>
  );
}
