"use client";

import * as React from "react";
import Link from "next/link";
import { MessageSquareIcon, UsersIcon } from "lucide-react";
import { createColumnHelper, rowSortingFeature, tableFeatures, useTable, type SortingState } from "@tanstack/react-table";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableRow } from "@/components/ui/table";
import { Pager, SortableHeaderRows, sortingOf, sortParamOf, TableSearch } from "./data-table";
import { EmptyState } from "./empty-state";
import { formatDate, isoDate } from "./format";
import { useTimeZone } from "./time-zone";

export interface PatientRowView {
  id: string;
  first_name: string;
  last_name: string;
  date_of_birth: string | Date;
  mrn: string;
  last_visit_date: string | Date | null;
  last_diagnosis: string | null;
  active_prescriptions: number;
  /** Unread care-team messages for the viewer (providers only). */
  unread_messages?: number;
}

/** The row's unread care-team messages: a count with an icon, read out as "N unread messages". */
function UnreadMessagesBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <Badge variant="default" className="tabular-nums" data-testid="unread-badge">
      <MessageSquareIcon aria-hidden />
      <span aria-hidden="true">{count > 99 ? "99+" : count}</span>
      <span className="sr-only">{`${count} unread message${count === 1 ? "" : "s"}`}</span>
    </Badge>
  );
}

export type PatientSort = "name" | "-name" | "date_of_birth" | "-date_of_birth" | "last_visit" | "-last_visit";
const PATIENT_SORT_VALUES: readonly string[] = ["name", "-name", "date_of_birth", "-date_of_birth", "last_visit", "-last_visit"] satisfies PatientSort[];
type Page = { data: PatientRowView[]; count: number };

/** How often the list (and its unread-message badges) is fetched again while the tab is visible. */
const UNREAD_REFRESH_MS = 15_000;

const features = tableFeatures({ rowSortingFeature });
const col = createColumnHelper<typeof features, PatientRowView>();

const SORT_COLUMN: Record<string, "name" | "date_of_birth" | "last_visit"> = { name: "name", date_of_birth: "date_of_birth", last_visit_date: "last_visit" };

const toSorting = (sort: PatientSort) => sortingOf(sort, SORT_COLUMN, "name");
const fromSorting = (s: SortingState) => sortParamOf<PatientSort>(s, SORT_COLUMN, "name", "name");

/**
 * The provider's patients. Sort and page (not PHI) live in the URL; the search text
 * never does: it stays in this component and goes to the server in a POST body.
 */
export function PatientsTable({
  initial,
  initialSort,
  initialPage,
  pageSize,
  search: searchAction,
}: {
  initial: Page;
  initialSort: PatientSort;
  initialPage: number;
  pageSize: number;
  search: (q: { search?: string; sort: PatientSort; limit: number; offset: number }) => Promise<Page>;
}) {
  const [page, setPage] = React.useState(initialPage);
  const [sort, setSort] = React.useState<PatientSort>(initialSort);
  const [term, setTerm] = React.useState("");
  const [applied, setApplied] = React.useState("");
  const [result, setResult] = React.useState<Page>(initial);
  const [pending, startTransition] = React.useTransition();
  const firstRender = React.useRef(true);
  const searchInput = React.useRef<HTMLInputElement>(null);
  const timeZone = useTimeZone();

  React.useEffect(() => {
    // Whatever was typed before the page hydrated is in the input, not in state: keep it.
    const typed = searchInput.current?.value ?? "";
    if (typed) setTerm(typed);
    // Back from a chart shows the render cached for the first URL of this page while the
    // address bar says where the list was left (?page=2): follow the address bar.
    const url = new URL(window.location.href);
    const urlPage = Math.min(40_000, Math.max(1, Math.floor(Number(url.searchParams.get("page")) || 1)));
    const urlSort = url.searchParams.get("sort") as PatientSort | null;
    if (urlPage !== initialPage) setPage(urlPage);
    if (urlSort && urlSort !== initialSort && PATIENT_SORT_VALUES.includes(urlSort)) setSort(urlSort);
  }, [initialPage, initialSort]);

  React.useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const url = new URL(window.location.href);
    url.searchParams.set("sort", sort);
    url.searchParams.set("page", String(page));
    window.history.replaceState(null, "", url);
    startTransition(async () => {
      try {
        setResult(await searchAction({ search: applied || undefined, sort, limit: pageSize, offset: (page - 1) * pageSize }));
      } catch {
        toast.error("Could not load patients. Try again.");
      }
    });
  }, [sort, page, applied, pageSize, searchAction]);

  // The unread-message badges follow new messages: the page's rows are fetched again every
  // UNREAD_REFRESH_MS while the tab is visible, and at once when it becomes visible again (a
  // push per row would need more realtime topics than a socket may hold). Each refresh is
  // the same audited list read as the page itself; an answer for a query no longer shown is dropped.
  const shown = React.useRef("");
  shown.current = JSON.stringify([sort, page, applied, pageSize]);
  React.useEffect(() => {
    const key = JSON.stringify([sort, page, applied, pageSize]);
    const refresh = () => {
      if (document.visibilityState !== "visible") return;
      searchAction({ search: applied || undefined, sort, limit: pageSize, offset: (page - 1) * pageSize })
        .then((r) => {
          if (shown.current === key) setResult(r);
        })
        .catch(() => undefined); // the next refresh tries again; the rows shown stay
    };
    const timer = window.setInterval(refresh, UNREAD_REFRESH_MS);
    document.addEventListener("visibilitychange", refresh);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", refresh);
    };
  }, [sort, page, applied, pageSize, searchAction]);

  const columns = React.useMemo(
    () =>
      col.columns([
      col.accessor((r) => `${r.last_name}, ${r.first_name}`, {
        id: "name",
        header: "Name",
        cell: (info) => (
          <span className="inline-flex items-center gap-2">
            <Link href={`/patients/${info.row.original.id}`} prefetch={false} className="text-primary font-medium underline-offset-4 hover:underline">
              {info.getValue()}
            </Link>
            <UnreadMessagesBadge count={info.row.original.unread_messages ?? 0} />
          </span>
        ),
      }),
      col.accessor("mrn", { header: "MRN", enableSorting: false, cell: (i) => <span className="font-mono text-xs">{i.getValue()}</span> }),
      col.accessor((r) => isoDate(r.date_of_birth), { id: "date_of_birth", header: "Date of birth", cell: (i) => formatDate(i.getValue()) }),
      col.accessor("last_visit_date", { id: "last_visit_date", header: "Last visit", cell: (i) => formatDate(i.getValue(), timeZone) }),
      col.accessor("last_diagnosis", {
        header: "Last diagnosis",
        enableSorting: false,
        cell: (i) => <span className="block max-w-64 truncate">{i.getValue() ?? "—"}</span>,
      }),
      col.accessor("active_prescriptions", {
        header: "Active Rx",
        enableSorting: false,
        cell: (i) => (i.getValue() > 0 ? <Badge variant="success">{i.getValue()}</Badge> : <span className="text-muted-foreground">0</span>),
      }),
      ]),
    [timeZone],
  );

  const sorting = React.useMemo(() => toSorting(sort), [sort]);
  const table = useTable({
    features,
    columns,
    data: result.data,
    manualSorting: true,
    enableSortingRemoval: false,
    state: { sorting },
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      setSort(fromSorting(next));
      setPage(1);
    },
    getRowId: (r) => r.id,
  });

  return (
    <div className="grid gap-3">
      <TableSearch
        id="patient-search"
        label="Search by name or MRN"
        placeholder="e.g. Garcia or MRN-1042"
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
      <div className="bg-card rounded-lg border" aria-busy={pending}>
        <Table className={pending ? "opacity-60" : undefined}>
          <SortableHeaderRows groups={table.getHeaderGroups()} render={(header) => <table.FlexRender header={header} />} />
          <TableBody>
            {table.getRowModel().rows.map((row) => (
              <TableRow key={row.id}>
                {row.getAllCells().map((cell) => (
                  <TableCell key={cell.id}>
                    <table.FlexRender cell={cell} />
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
        {result.data.length === 0 && (
          <EmptyState icon={UsersIcon} title={applied ? "No patient matches this search" : "No patients yet"} className="m-4">
            {applied
              ? "Check the spelling, search by the start of the last name, or by MRN."
              : "Register your first patient with “New patient”. Patients an administrator assigns to your care team appear here too."}
          </EmptyState>
        )}
      </div>
      <Pager label="Pagination" noun="patients" page={page} pageSize={pageSize} count={result.count} pending={pending} onPage={setPage} />
    </div>
  );
}
