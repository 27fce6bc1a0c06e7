"use client";

import * as React from "react";
import { ChevronDownIcon, ChevronRightIcon, StethoscopeIcon } from "lucide-react";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EmptyState } from "../empty-state";
import { formatDate } from "../format";
import { useTimeZone } from "../time-zone";
import { vitalSignRows } from "./vital-signs";
import { VISIT_TYPE_LABELS } from "@/core/clinical/visits.types";
import type { VisitType } from "@/core/db/schema";

export interface VisitView {
  id: string;
  visit_date: string | Date;
  /** Absent on rows from before visit types (0620): office. */
  visit_type?: VisitType;
  chief_complaint: string;
  diagnosis: string | null;
  notes: string | null;
  vitals: Record<string, unknown> | null;
  provider_name: string | null;
}

/** Visits; a row expands (button, keyboard-operable) to its notes and vitals. */
export function VisitsTable({ visits, emptyHint }: { visits: VisitView[]; emptyHint: string }) {
  const [open, setOpen] = React.useState<Set<string>>(new Set());
  const timeZone = useTimeZone();
  if (visits.length === 0) return <EmptyState icon={StethoscopeIcon} title="No visits recorded yet">{emptyHint}</EmptyState>;
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <div className="bg-card rounded-lg border">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead className="w-10"><span className="sr-only">Details</span></TableHead>
            <TableHead>Date</TableHead>
            <TableHead>Type</TableHead>
            <TableHead>Chief complaint</TableHead>
            <TableHead>Diagnosis</TableHead>
            <TableHead>Provider</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {visits.map((v) => {
            const expanded = open.has(v.id);
            const vitals = vitalSignRows(v.vitals);
            return (
              <React.Fragment key={v.id}>
                <TableRow>
                  <TableCell>
                    <button
                      type="button"
                      className="hover:bg-accent rounded p-1"
                      aria-expanded={expanded}
                      aria-controls={`visit-${v.id}`}
                      aria-label={expanded ? "Hide notes and vitals" : "Show notes and vitals"}
                      onClick={() => toggle(v.id)}
                    >
                      {expanded ? <ChevronDownIcon aria-hidden className="size-4" /> : <ChevronRightIcon aria-hidden className="size-4" />}
                    </button>
                  </TableCell>
                  <TableCell>{formatDate(v.visit_date, timeZone)}</TableCell>
                  <TableCell className="whitespace-nowrap">{VISIT_TYPE_LABELS[v.visit_type ?? "office"]}</TableCell>
                  <TableCell className="max-w-72 truncate">{v.chief_complaint}</TableCell>
                  <TableCell className="max-w-72 truncate">{v.diagnosis ?? "—"}</TableCell>
                  <TableCell>{v.provider_name ?? "—"}</TableCell>
                </TableRow>
                {expanded && (
                  <TableRow id={`visit-${v.id}`} className="bg-muted/30 hover:bg-muted/30">
                    <TableCell />
                    <TableCell colSpan={5} className="whitespace-normal">
                      <div className="grid gap-3 py-2 md:grid-cols-2">
                        <div>
                          <p className="text-muted-foreground mb-1 text-xs font-semibold uppercase">Notes</p>
                          <p className="text-sm whitespace-pre-wrap">{v.notes || "No notes."}</p>
                        </div>
                        <div>
                          <p className="text-muted-foreground mb-1 text-xs font-semibold uppercase">Vitals</p>
                          {vitals.length ? (
                            <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
                              {vitals.map((x) => (
                                <React.Fragment key={x.key}>
                                  <dt className="text-muted-foreground">{x.label}</dt>
                                  <dd>
                                    {x.value} {x.unit}
                                  </dd>
                                </React.Fragment>
                              ))}
                            </dl>
                          ) : (
                            <p className="text-sm">No vitals recorded.</p>
                          )}
                        </div>
                      </div>
                    </TableCell>
                  </TableRow>
                )}
              </React.Fragment>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}
