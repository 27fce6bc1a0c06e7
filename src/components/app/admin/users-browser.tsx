"use client";

import * as React from "react";
import { toast } from "sonner";
import { Pager, TableSearch } from "../data-table";
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

  return (
    <div className="grid gap-3">
      <TableSearch
        id="user-search"
        label="Search by name or email"
        formLabel="Accounts"
        term={term}
        onTerm={setTerm}
        applied={!!applied}
        onApply={(typed) => {
          setTerm(typed);
          setApplied(typed.trim());
          setPage(1);
        }}
        pending={pending}
        inputRef={searchInput}
      />
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
      <Pager label="Pages of accounts" noun="accounts" page={page} pageSize={pageSize} count={result.count} pending={pending} onPage={setPage} />
    </div>
  );
}
