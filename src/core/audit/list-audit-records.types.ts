import { z } from "zod";
import { BadRequestError } from "../errors";
import { zUuid } from "../http/parse";

const zName = z.string().max(64).regex(/^[a-z_]+(\.[a-z_]+)?$/, "must be an action or table name such as read, insert, auth.sign_in");

/** 2026-01-31 or 2026-01-31T12:00:00Z / +02:00; a date alone means midnight UTC. Impossible dates (Feb 30) are refused. */
const zInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/, "must be an ISO 8601 date or date-time with offset")
  .refine((v) => {
    const [y, m, d] = v.slice(0, 10).split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d && !Number.isNaN(Date.parse(v));
  }, "is not a real date")
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v));

/** Keyset cursor: the (occurred_at, id) of the last row of the previous page, opaque to clients. */
export interface AuditCursor {
  at: string; // UTC, microseconds: 2026-11-23T09:14:08.123456Z
  id: string;
}

export function encodeCursor(c: AuditCursor): string {
  return Buffer.from(`${c.at}|${c.id}`, "utf8").toString("base64url");
}

const zCursor = z
  .string()
  .max(128)
  .transform((v, ctx) => {
    const text = Buffer.from(v, "base64url").toString("utf8");
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(\d{1,18})$/.exec(text);
    if (!m || Number.isNaN(Date.parse(m[1]))) {
      ctx.addIssue({ code: "custom", message: "is not a cursor returned by this API" });
      return z.NEVER;
    }
    return { at: m[1], id: m[2] } satisfies AuditCursor;
  });

const zLimit = z
  .string()
  .regex(/^\d{1,3}$/, "must be a whole number from 1 to 200")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 200, "must be a whole number from 1 to 200");

const filterShape = {
  actor: zUuid.transform((v) => v.toLowerCase()).optional(),
  patient: zUuid.transform((v) => v.toLowerCase()).optional(),
  action: zName.optional(),
  table: zName.optional(),
  from: zInstant.optional(),
  to: zInstant.optional(),
};
const fromNotAfterTo = (f: { from?: Date; to?: Date }) => !f.from || !f.to || f.from <= f.to;

/** Filters of the CSV export: the list's, without paging. */
export const ZAuditFilters = z.strictObject(filterShape).refine(fromNotAfterTo, { message: "must not be after to", path: ["from"] });

export const ZListAuditQuery = z
  .strictObject({ ...filterShape, cursor: zCursor.optional(), limit: zLimit.optional() })
  .refine(fromNotAfterTo, { message: "must not be after to", path: ["from"] });

export type TAuditFilters = z.output<typeof ZAuditFilters>;
export type TListAuditQuery = z.output<typeof ZListAuditQuery>;

/**
 * Reads the query string. Every problem with a filter (a malformed date or id, an unknown
 * parameter, a forged cursor) is a malformed request: 400, naming the parameter.
 */
export function parseAuditQuery<S extends typeof ZAuditFilters | typeof ZListAuditQuery>(url: string, schema: S): z.output<S> {
  const obj: Record<string, string> = {};
  for (const [k, v] of new URL(url).searchParams) {
    if (v !== "") obj[k] = v;
  }
  const r = schema.safeParse(obj);
  if (r.success) return r.data as z.output<S>;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = issue.code === "unrecognized_keys" ? issue.keys.join(",") : issue.path.join(".") || "_";
    fields[key] ??= issue.code === "unrecognized_keys" ? "is not a known filter" : issue.message;
  }
  const text = Object.entries(fields).slice(0, 5).map(([k, v]) => `${k} ${v}`).join("; ");
  throw new BadRequestError(`The query string is malformed: ${text}.`, "invalid_request", fields);
}

export interface AuditRecordView {
  id: string;
  occurred_at: string;
  actor: { id: string; name: string | null; role: string | null } | null;
  actor_role: string | null;
  action: string;
  table: string | null;
  record_id: string | null;
  patient_id: string | null;
  details: Record<string, unknown> | null;
  old_row: Record<string, unknown> | null;
  new_row: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  chain: { id: number; seq: string };
}

export interface AuditPage {
  data: AuditRecordView[];
  next_cursor: string | null;
}
