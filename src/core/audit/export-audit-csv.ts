import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { withUser, type RequestContext } from "../db/with-user";
import { log } from "../log";
import { describeFilters, recordTrailRead, selectAuditPage } from "./list-audit-records";
import type { AuditCursor, AuditRecordView, TAuditFilters } from "./list-audit-records.types";
import { drainStagedReads } from "./record";

const PAGE = 1000;
/** An export larger than this stops with a last line saying so; narrow the filters. */
export const MAX_EXPORT_ROWS = 1_000_000;

const COLUMNS = [
  "id", "occurred_at", "actor_id", "actor_name", "actor_role", "action", "table", "record_id", "patient_id",
  "request_id", "ip", "details",
] as const;

/** RFC 4180 quoting, and no cell that a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(r: AuditRecordView): string {
  const cells = [
    r.id, r.occurred_at, r.actor?.id, r.actor?.name, r.actor?.role ?? r.actor_role, r.action, r.table, r.record_id,
    r.patient_id, r.request_id, r.ip, r.details,
  ];
  return cells.map(csvCell).join(",") + "\r\n";
}

/**
 * The trail as CSV (who, what, when, where from; not the rows' contents), streamed page by
 * page: each page is read in its own short transaction and its read recorded there, so a
 * large range never sits in memory or holds a transaction open. The admin check happens
 * before the first byte.
 */
export function exportAuditCsv(session: Session, filters: TAuditFilters, context: RequestContext): ReadableStream<Uint8Array> {
  requireAdmin(session);
  const encoder = new TextEncoder();
  let cursor: AuditCursor | undefined;
  let sent = 0;
  let started = false;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(COLUMNS.join(",") + "\r\n"));
        return;
      }
      if (done) {
        controller.close();
        return;
      }
      try {
        if (sent === 0 && !cursor) await drainStagedReads(); // staged read records too (docs/audit.md)
        const page = await withUser(session, async (tx) => {
          const p = await selectAuditPage(tx, filters, cursor, PAGE);
          await recordTrailRead(tx, p.data, { filters: describeFilters(filters), export: "csv", offset: sent });
          return p;
        }, context);
        sent += page.data.length;
        if (page.data.length) controller.enqueue(encoder.encode(page.data.map(csvLine).join("")));
        cursor = page.next ?? undefined;
        if (!page.next) done = true;
        else if (sent >= MAX_EXPORT_ROWS) {
          controller.enqueue(encoder.encode(`# export stopped after ${sent} rows; narrow the date range\r\n`));
          done = true;
        }
      } catch (e) {
        log.error({ requestId: context.requestId, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, "audit export failed");
        controller.error(e);
      }
    },
  });
}
