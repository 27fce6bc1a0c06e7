import { Suspense } from "react";
import Link from "next/link";
import { ChevronLeftIcon, ChevronRightIcon } from "lucide-react";
import { TableSkeleton } from "@/components/app/skeletons";
import { UsersFilters } from "@/components/app/admin/users-filters";
import { UsersTable } from "@/components/app/admin/users-table";
import { Button } from "@/components/ui/button";
import { listUsers, ZListUsersQuery } from "@/core/auth/admin-users";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";

export const metadata = { title: "Users" };

const PAGE_SIZE = 50;
const PENDING_SHOWN = 50;

/** Only non-PHI values come from the URL: a role, a status and a page number. */
type SP = Promise<{ role?: string; status?: string; page?: string }>;

export default function UsersPage({ searchParams }: { searchParams: SP }) {
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
        <p className="text-muted-foreground text-sm">Verify providers, deactivate accounts. Deactivated accounts are signed out at once.</p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Users searchParams={searchParams} />
      </Suspense>
    </div>
  );
}

function readFilters(sp: Awaited<SP>) {
  const parsed = ZListUsersQuery.pick({ role: true, status: true }).safeParse({ role: sp.role || undefined, status: sp.status || undefined });
  const { role, status } = parsed.success ? parsed.data : { role: undefined, status: "all" as const };
  const page = Math.min(20_000, Math.max(1, Math.floor(Number(sp.page) || 1)));
  return { role, status, page };
}

function usersHref(f: { role?: string; status: string; page: number }) {
  const q = new URLSearchParams();
  if (f.role) q.set("role", f.role);
  if (f.status !== "all") q.set("status", f.status);
  if (f.page > 1) q.set("page", String(f.page));
  const s = q.toString();
  return `/admin/users${s ? `?${s}` : ""}#all`;
}

async function Users({ searchParams }: { searchParams: SP }) {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const f = readFilters(await searchParams);
  const [pending, list] = await Promise.all([
    listUsers(session, { status: "pending", limit: PENDING_SHOWN, offset: 0 }, context),
    listUsers(session, { role: f.role, status: f.status, limit: PAGE_SIZE, offset: (f.page - 1) * PAGE_SIZE }, context),
  ]);
  const pages = Math.max(1, Math.ceil(list.count / PAGE_SIZE));
  const from = list.count === 0 ? 0 : (f.page - 1) * PAGE_SIZE + 1;
  const to = Math.min(list.count, f.page * PAGE_SIZE);
  const filtered = f.role !== undefined || f.status !== "all";
  return (
    <>
      <section aria-labelledby="pending" className="grid gap-3">
        <h2 id="pending" className="text-lg font-semibold">Providers waiting for verification ({pending.count})</h2>
        {pending.count ? (
          <>
            <UsersTable users={pending.data} selfId={viewer.id} />
            {pending.count > pending.data.length && (
              <p className="text-muted-foreground text-sm">
                Showing the {pending.data.length} most recent.{" "}
                <Link className="text-primary underline-offset-4 hover:underline" href={usersHref({ status: "pending", page: 1 })}>
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
        <UsersTable
          users={list.data}
          selfId={viewer.id}
          emptyHint={f.page > pages ? "This page is past the end of the list. Go back to the first page." : filtered ? "No account has this role and status. Change the filters above." : undefined}
        />
        <nav aria-label="Pages of accounts" className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <p className="text-muted-foreground">{list.count === 0 ? "0 accounts" : `${from}–${to} of ${list.count} accounts`}</p>
          <div className="flex items-center gap-2">
            <PageLink href={f.page > 1 ? usersHref({ ...f, page: Math.min(f.page - 1, pages) }) : undefined} rel="prev">
              <ChevronLeftIcon aria-hidden />
              Previous
            </PageLink>
            <span className="text-muted-foreground" aria-current="page">
              Page {Math.min(f.page, pages)} of {pages}
            </span>
            <PageLink href={f.page < pages ? usersHref({ ...f, page: f.page + 1 }) : undefined} rel="next">
              Next
              <ChevronRightIcon aria-hidden />
            </PageLink>
          </div>
        </nav>
      </section>
    </>
  );
}

function PageLink({ href, rel, children }: { href?: string; rel: string; children: React.ReactNode }) {
  if (!href) {
    return (
      <Button variant="outline" size="sm" disabled>
        {children}
      </Button>
    );
  }
  return (
    <Button variant="outline" size="sm" asChild>
      <Link href={href} rel={rel} scroll={false}>
        {children}
      </Link>
    </Button>
  );
}
