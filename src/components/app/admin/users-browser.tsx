"use client";

import * as React from "react";
import { ChevronLeftIcon, ChevronRightIcon, SearchIcon, XIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { UsersTable, type UserRowView, type UserSort } from "./users-table";

type Page = { data: UserRowView[]; count: number };
type Query = { role?: string; status: string; search?: string; sort: UserSort; limit: number; offset: number };

/**
 * All accounts, searchable by name or email and sortable by name, email or creation. The
 * search text never goes into the URL: it stays here and reaches the server in a POST body
 * (a server action). Role and status (not personal) are the page's URL filters.
 */
export function UsersBrowser({
  initial,
  role,
  status,
  pageSize,
  selfId,
  emptyHint,
  search: searchAction,
}: {
  initial: Page;
  role?: string;
  status: string;
  pageSize: number;
  selfId: string;
  emptyHint?: string;
  search: (q: Query) => Promise<Page>;
}) {
  const [page, setPage] = React.useState(1);
  const [sort, setSort] = React.useState<UserSort>("-created");
  const [term, setTerm] = React.useState("");
  const [applied, setApplied] = React.useState("");
  const [result, setResult] = React.useState<Page>(initial);
  const [pending, startTransition] = React.useTransition();
  const searchInput = React.useRef<HTMLInputElement>(null);
  const query = React.useMemo(() => ({ page, sort, applied }), [page, sort, applied]);

  // Fetches again after a change of search, sort or page, and after the page's server data
  // was refreshed (an action on a row): `initial` is then a new object.
  React.useEffect(() => {
    if (query.page === 1 && query.sort === "-created" && !query.applied) {
      setResult(initial);
      return;
    }
    startTransition(async () => {
      try {
        setResult(await searchAction({ role, status, search: query.applied || undefined, sort: query.sort, limit: pageSize, offset: (query.page - 1) * pageSize }));
      } catch {
        toast.error("Could not load the accounts. Try again.");
      }
    });
  }, [query, initial, role, status, pageSize, searchAction]);

  const pages = Math.max(1, Math.ceil(result.count / pageSize));
  const from = result.count === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(result.count, page * pageSize);

  return (
    <div className="grid gap-3">
      <form
        method="post"
        role="search"
        aria-label="Accounts"
        className="flex max-w-lg items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = searchInput.current?.value ?? term;
          setTerm(typed);
          setApplied(typed.trim());
          setPage(1);
        }}
      >
        <div className="grid flex-1 gap-1.5">
          <Label htmlFor="user-search">Search by name or email</Label>
          <div className="relative">
            <SearchIcon aria-hidden className="text-muted-foreground absolute top-1/2 left-2.5 size-4 -translate-y-1/2" />
            <Input id="user-search" ref={searchInput} className="pl-8" value={term} onChange={(e) => setTerm(e.target.value)} autoComplete="off" />
          </div>
        </div>
        <Button type="submit" variant="secondary" disabled={pending}>
          Search
        </Button>
        {applied && (
          <Button type="button" variant="ghost" size="icon" aria-label="Clear search" onClick={() => { setTerm(""); setApplied(""); setPage(1); }}>
            <XIcon aria-hidden />
          </Button>
        )}
      </form>
      <div aria-busy={pending} className={pending ? "opacity-60" : undefined}>
        <UsersTable
          users={result.data}
          selfId={selfId}
          sort={sort}
          onSort={(s) => {
            setSort(s);
            setPage(1);
          }}
          emptyHint={applied ? "No account's name or email matches this search." : emptyHint}
        />
      </div>
      <nav aria-label="Pages of accounts" className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <p className="text-muted-foreground" aria-live="polite">
          {result.count === 0 ? "0 accounts" : `${from}–${to} of ${result.count} accounts`}
        </p>
        <div className="flex items-center gap-2">
          <Button variant="outline" size="sm" disabled={page <= 1 || pending} onClick={() => setPage((p) => p - 1)}>
            <ChevronLeftIcon aria-hidden />
            Previous
          </Button>
          <span className="text-muted-foreground">
            Page {page} of {pages}
          </span>
          <Button variant="outline" size="sm" disabled={page >= pages || pending} onClick={() => setPage((p) => p + 1)}>
            Next
            <ChevronRightIcon aria-hidden />
          </Button>
        </div>
      </nav>
    </div>
  );
}
