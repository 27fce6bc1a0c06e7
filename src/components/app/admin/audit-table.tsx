import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCaption, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { AuditRecordView } from "@/core/audit/list-audit-records.types";
import { LocalTime } from "../local-time";
import { actionLabel, tableLabel } from "./audit-query";

/**
 * One row as the page passes it: the core's AuditRecordView without the row contents, plus
 * the record ids and the service path's reason read out of its details.
 */
export type AuditRowView = Pick<AuditRecordView, "id" | "occurred_at" | "actor" | "actor_role" | "action" | "table" | "record_id" | "patient_id" | "request_id"> & {
  records: string[];
  service_reason: string | null;
};

const ACTION_VARIANT: Record<string, "secondary" | "success" | "outline" | "destructive"> = {
  read: "secondary",
  insert: "success",
  update: "outline",
  delete: "destructive",
};

function Actor({ row }: { row: AuditRowView }) {
  if (row.actor) {
    return (
      <span className="grid">
        <span className="font-medium">{row.actor.name ?? "Deleted account"}</span>
        <span className="text-muted-foreground text-xs capitalize">{row.actor.role ?? row.actor_role ?? "unknown role"}</span>
      </span>
    );
  }
  const label = row.actor_role === "service_role" ? "Carebase service" : row.actor_role === "device" ? "Wearable device" : "Database (no session)";
  return (
    <span className="grid">
      <span className="font-medium">{label}</span>
      <span className="text-muted-foreground text-xs">{row.service_reason ?? row.actor_role ?? "system"}</span>
    </span>
  );
}

/** How many records, in words; their ids and the request id behind a disclosure, for an investigation. */
function RecordIds({ row }: { row: AuditRowView }) {
  const ids = row.record_id ? [row.record_id] : row.records;
  if (ids.length === 0 && !row.request_id) return <span className="text-muted-foreground">—</span>;
  const shown = ids.slice(0, 5);
  return (
    <details className="max-w-[19rem] text-xs">
      <summary className="cursor-pointer">{ids.length === 0 ? "Request" : ids.length === 1 ? "1 record" : `${ids.length} records`}</summary>
      <span className="grid font-mono break-all whitespace-normal">
        {shown.map((id) => (
          <span key={id}>{id}</span>
        ))}
        {ids.length > shown.length && <span className="text-muted-foreground font-sans">and {ids.length - shown.length} more</span>}
        {row.request_id && <span className="text-muted-foreground">request {row.request_id}</span>}
      </span>
    </details>
  );
}

/** The trail, newest first. The table scrolls sideways inside its card on phones. */
export function AuditTable({ rows, patientNames, caption }: { rows: AuditRowView[]; patientNames: Record<string, string>; caption: string }) {
  return (
    <div className="bg-card rounded-lg border">
      <Table data-testid="audit-table">
        <TableCaption className="sr-only">{caption}</TableCaption>
        <TableHeader>
          <TableRow>
            <TableHead scope="col">When</TableHead>
            <TableHead scope="col">Actor</TableHead>
            <TableHead scope="col">Action</TableHead>
            <TableHead scope="col">Record</TableHead>
            <TableHead scope="col">Patient</TableHead>
            <TableHead scope="col">Details</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.id} data-testid="audit-row">
              <TableCell className="align-top">
                <LocalTime value={r.occurred_at} seconds />
                <span className="text-muted-foreground block font-mono text-xs">#{r.id}</span>
              </TableCell>
              <TableCell className="align-top"><Actor row={r} /></TableCell>
              <TableCell className="align-top">
                <Badge variant={ACTION_VARIANT[r.action] ?? "muted"}>{actionLabel(r.action)}</Badge>
              </TableCell>
              <TableCell className="align-top">{r.table ? tableLabel(r.table) : "—"}</TableCell>
              <TableCell className="align-top">
                {r.patient_id ? (
                  <Link href={`/patients/${r.patient_id}`} prefetch={false} className="text-primary underline-offset-4 hover:underline">
                    {patientNames[r.patient_id] ?? "Deleted patient"}
                  </Link>
                ) : (
                  <span className="text-muted-foreground">—</span>
                )}
              </TableCell>
              <TableCell className="align-top whitespace-normal"><RecordIds row={r} /></TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
