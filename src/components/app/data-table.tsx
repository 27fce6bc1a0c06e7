"use client";

import type * as React from "react";
import { ArrowDownIcon, ArrowUpDownIcon, ArrowUpIcon, ChevronLeftIcon, ChevronRightIcon, SearchIcon, XIcon } from "lucide-react";
import type { SortingState } from "@tanstack/react-table";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { TableHead, TableHeader, TableRow } from "@/components/ui/table";

/**
 * What the server-sorted, server-paged tables share (patients, accounts): the sort
 * parameter as the API takes it (`name`, `-created`) and back, the search box, sortable
 * column headers, and the pager under the table.
 */

/** A sort parameter (`key` or `-key`) as the table's sorting state; `columns` maps column ids to keys. */
export function sortingOf(sort: string, columns: Record<string, string>, fallbackColumn: string): SortingState {
  const key = sort.replace(/^-/, "");
  const id = Object.entries(columns).find(([, v]) => v === key)?.[0] ?? fallbackColumn;
  return [{ id, desc: sort.startsWith("-") }];
}

/** The table's sorting state as a sort parameter; `empty` when nothing is sorted, `fallbackKey` for an unknown column. */
export function sortParamOf<S extends string>(s: SortingState, columns: Record<string, string>, empty: S, fallbackKey: string): S {
  const first = s[0];
  if (!first) return empty;
  const key = columns[first.id] ?? fallbackKey;
  return (first.desc ? `-${key}` : key) as S;
}

/** aria-sort of a column header: only sortable columns say anything. */
export function ariaSort(canSort: boolean, dir: false | "asc" | "desc"): React.AriaAttributes["aria-sort"] {
  if (!canSort) return undefined;
  return dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none";
}

/** A sortable column header's content: the title as a button, with the direction drawn after it. */
export function SortButton({ dir, onClick, children }: { dir: false | "asc" | "desc"; onClick: ((e: unknown) => void) | undefined; children: React.ReactNode }) {
  return (
    <button type="button" className="hover:text-primary -mx-1 inline-flex items-center gap-1 rounded px-1" onClick={onClick}>
      {children}
      {dir === "asc" ? <ArrowUpIcon aria-hidden className="size-3.5" /> : dir === "desc" ? <ArrowDownIcon aria-hidden className="size-3.5" /> : <ArrowUpDownIcon aria-hidden className="text-muted-foreground size-3.5" />}
    </button>
  );
}

/** "21–40 of 57 patients", then Previous / Page n of m / Next. */
export function Pager({
  label,
  noun,
  page,
  pageSize,
  count,
  pending,
  onPage,
}: {
  label: string;
  /** Plural, as in "57 patients". */
  noun: string;
  page: number;
  pageSize: number;
  count: number;
  pending: boolean;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const from = count === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(count, page * pageSize);
  return (
    <nav aria-label={label} className="flex flex-wrap items-center justify-between gap-2 text-sm">
      <p className="text-muted-foreground" aria-live="polite">
        {count === 0 ? `0 ${noun}` : `${from}–${to} of ${count} ${noun}`}
      </p>
      <div className="flex items-center gap-2">
        <Button variant="outline" size="sm" disabled={page <= 1 || pending} onClick={() => onPage(page - 1)}>
          <ChevronLeftIcon aria-hidden />
          Previous
        </Button>
        <span className="text-muted-foreground">
          Page {page} of {pages}
        </span>
        <Button variant="outline" size="sm" disabled={page >= pages || pending} onClick={() => onPage(page + 1)}>
          Next
          <ChevronRightIcon aria-hidden />
        </Button>
      </div>
    </nav>
  );
}

/**
 * The search box above a table: the text goes to the caller on submit (never into the URL),
 * and a clear button shows while a search is applied. `inputRef` lets the caller read what
 * was typed before hydration.
 */
export function TableSearch({
  id,
  label,
  formLabel,
  placeholder,
  term,
  onTerm,
  applied,
  onApply,
  pending,
  inputRef,
}: {
  id: string;
  label: string;
  formLabel?: string;
  placeholder?: string;
  term: string;
  onTerm: (term: string) => void;
  applied: boolean;
  /** The search to apply ("" clears it). */
  onApply: (typed: string) => void;
  pending: boolean;
  inputRef: React.RefObject<HTMLInputElement | null>;
}) {
  return (
    <form
      method="post"
      role="search"
      aria-label={formLabel}
      className="flex max-w-lg items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        // The input's own value: the same as `term` once hydrated, and what was typed before.
        onApply(inputRef.current?.value ?? term);
      }}
    >
      <div className="grid flex-1 gap-1.5">
        <Label htmlFor={id}>{label}</Label>
        <div className="relative">
          <SearchIcon aria-hidden className="text-muted-foreground absolute top-1/2 left-2.5 size-4 -translate-y-1/2" />
          <Input id={id} ref={inputRef} className="pl-8" value={term} onChange={(e) => onTerm(e.target.value)} autoComplete="off" placeholder={placeholder} />
        </div>
      </div>
      <Button type="submit" variant="secondary" disabled={pending}>
        Search
      </Button>
      {applied && (
        <Button type="button" variant="ghost" size="icon" aria-label="Clear search" onClick={() => onApply("")}>
          <XIcon aria-hidden />
        </Button>
      )}
    </form>
  );
}

interface SortableHeader {
  id: string;
  column: { getCanSort(): boolean; getIsSorted(): false | "asc" | "desc"; getToggleSortingHandler(): ((e: unknown) => void) | undefined };
}

/** The header rows of a table whose sortable columns are buttons; `render` draws a header's title. */
export function SortableHeaderRows<H extends SortableHeader>({ groups, sortable = true, render }: { groups: { id: string; headers: H[] }[]; sortable?: boolean; render: (header: H) => React.ReactNode }) {
  return (
    <TableHeader>
      {groups.map((hg) => (
        <TableRow key={hg.id}>
          {hg.headers.map((header) => {
            const canSort = sortable && header.column.getCanSort();
            const dir = header.column.getIsSorted();
            return (
              <TableHead key={header.id} aria-sort={ariaSort(canSort, dir)}>
                {canSort ? (
                  <SortButton dir={dir} onClick={header.column.getToggleSortingHandler()}>
                    {render(header)}
                  </SortButton>
                ) : (
                  render(header)
                )}
              </TableHead>
            );
          })}
        </TableRow>
      ))}
    </TableHeader>
  );
}
