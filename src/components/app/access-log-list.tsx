"use client";

import * as React from "react";
import { EyeIcon, RotateCwIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { api } from "./api-client";
import { EmptyState } from "./empty-state";
import { FormError } from "./form";
import { LocalTime } from "./local-time";
import { describeActor, describePageView, groupPageViews, type AccessAudience } from "./access-log-describe";

interface AccessLogEntry {
  id: string;
  occurred_at: string;
  actor: { name: string; role: string };
  activity: string;
  record_kind: string | null;
  via?: string | null;
}

interface AccessLogPage {
  data: AccessLogEntry[];
  next_cursor: string | null;
}

const PAGE_SIZE = 25;

/**
 * "Who accessed this record": loads when its tab is opened (GET /api/v1/patients/{id}/access-log,
 * which records the read), newest first, with keyset "Load more". Who is a name and a role,
 * never an id; times are in the clinic's time zone. One page view (a chart opening reads
 * several lists) shows as one entry: see groupPageViews.
 */
export function AccessLogList({ patientId, audience }: { patientId: string; audience: AccessAudience }) {
  const [entries, setEntries] = React.useState<AccessLogEntry[] | null>(null);
  const [cursor, setCursor] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(false);
  // A patient's own visits to the portal are left out unless they ask for them.
  const [includeMine, setIncludeMine] = React.useState(false);
  const othersOnly = audience === "patient" && !includeMine;
  const groups = React.useMemo(() => groupPageViews(entries ?? []), [entries]);

  const load = React.useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (after) query.set("cursor", after);
      if (othersOnly) query.set("others_only", "true");
      const r = await api<AccessLogPage>(`/api/v1/patients/${encodeURIComponent(patientId)}/access-log?${query}`);
      setLoading(false);
      if (!r.ok) {
        setError(r.error.message);
        return;
      }
      setEntries((prev) => (after && prev ? [...prev, ...r.data.data] : r.data.data));
      setCursor(r.data.next_cursor);
    },
    [patientId, othersOnly],
  );

  React.useEffect(() => {
    void load(null);
  }, [load]);

  const intro =
    audience === "patient"
      ? includeMine
        ? "Everyone who opened or changed your record, and when. Your own visits to the portal are listed as “You”."
        : "Everyone on your care team and at the clinic who opened or changed your record, and when."
      : "Everyone who opened or changed this patient's record, as the patient sees it in their portal.";

  const toggle =
    audience === "patient" ? (
      <label className="flex w-fit items-center gap-2 text-sm">
        <input
          type="checkbox"
          className="accent-primary size-4"
          checked={includeMine}
          onChange={(e) => {
            setEntries(null);
            setCursor(null);
            setIncludeMine(e.target.checked);
          }}
        />
        Include my own visits
      </label>
    ) : null;

  if (entries === null) {
    return (
      <div className="grid gap-3">
        <p className="text-muted-foreground text-sm">{intro}</p>
        {toggle}
        {error ? (
          <>
            <FormError message={error} />
            <div>
              <Button variant="outline" onClick={() => void load(null)}>
                <RotateCwIcon aria-hidden /> Try again
              </Button>
            </div>
          </>
        ) : (
          <div className="grid gap-2" aria-busy="true">
            <span className="sr-only">Loading the access log…</span>
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} className="h-10 w-full" />
            ))}
          </div>
        )}
      </div>
    );
  }

  if (entries.length === 0) {
    return (
      <div className="grid gap-3">
        {toggle}
        <EmptyState icon={EyeIcon} title="Nobody has opened this record yet">
          {audience === "patient" ? "When your care team opens or updates your record, it is listed here." : "Reads and changes of this chart are listed here."}
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="grid gap-3">
      <p className="text-muted-foreground text-sm">{intro}</p>
      {toggle}
      <div className="bg-card rounded-lg border">
        <Table data-testid="access-log">
          <TableHeader>
            <TableRow>
              <TableHead scope="col">When</TableHead>
              <TableHead scope="col">Who</TableHead>
              <TableHead scope="col" className="hidden sm:table-cell">What</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {groups.map((g) => {
              const who = describeActor(g.entries[0], audience);
              const what = describePageView(g.entries, audience);
              return (
                <TableRow key={g.key} data-testid="access-log-row">
                  <TableCell className="align-top whitespace-normal sm:whitespace-nowrap"><LocalTime value={g.occurred_at} /></TableCell>
                  <TableCell className="align-top whitespace-normal sm:whitespace-nowrap">
                    <span className="font-medium">{who.name}</span>
                    <span className="text-muted-foreground block text-xs">{who.role}</span>
                    {/* Phones: what was done goes under who did it (two columns fit 360 px). */}
                    <span className="mt-1 block sm:hidden">{what}</span>
                  </TableCell>
                  <TableCell className="hidden align-top sm:table-cell">{what}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </div>
      {error && <FormError message={error} />}
      <div className="flex items-center justify-between gap-2">
        <p className="text-muted-foreground text-sm" aria-live="polite">
          {groups.length} entr{groups.length === 1 ? "y" : "ies"}{cursor ? "" : ", the whole history"}
        </p>
        {cursor && (
          <Button variant="outline" onClick={() => void load(cursor)} disabled={loading}>
            {loading ? "Loading…" : "Load more"}
          </Button>
        )}
      </div>
    </div>
  );
}
