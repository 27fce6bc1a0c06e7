/**
 * The admin audit page's query string: ids, action and table names, dates and the opaque
 * keyset cursor only — never a name or typed text (no PHI in URLs). Shared by the filter
 * form (client), the page and its links (server).
 */

/** Values the filter form can put in the URL (the same names as GET /api/v1/admin/audit). */
export interface AuditFilterValues {
  actor?: string;
  patient?: string;
  action?: string;
  table?: string;
  /** YYYY-MM-DD, inclusive, 00:00 UTC */
  from?: string;
  /** YYYY-MM-DD, exclusive (the API's meaning); the form shows the day before as "to (inclusive)" */
  to?: string;
  limit?: string;
}

const FILTER_KEYS = ["actor", "patient", "action", "table", "from", "to", "limit"] as const;

export const PAGE_SIZES = ["25", "50", "100", "200"] as const;

export const AUDIT_ACTIONS: ReadonlyArray<{ value: string; label: string }> = [
  { value: "read", label: "Viewed (read)" },
  { value: "insert", label: "Created (insert)" },
  { value: "update", label: "Changed (update)" },
  { value: "delete", label: "Deleted (delete)" },
  { value: "auth.sign_in", label: "Signed in" },
  { value: "auth.sign_in_failed", label: "Sign-in failed" },
  { value: "auth.locked", label: "Account locked" },
  { value: "auth.mfa_enabled", label: "Two-factor turned on" },
  { value: "auth.recovery_code_used", label: "Recovery code used" },
  { value: "auth.password_changed", label: "Password changed" },
  { value: "auth.session_revoked", label: "Session revoked" },
  { value: "auth.sessions_revoked", label: "All sessions revoked" },
  { value: "auth.refresh_token_reused", label: "Refresh token reused" },
  { value: "auth.provider_verified", label: "Provider verified" },
  { value: "auth.user_created", label: "Account created by an admin" },
  { value: "auth.sign_up", label: "Signed up" },
  { value: "auth.setup_admin", label: "First admin set up" },
  { value: "auth.user_deactivated", label: "Account deactivated" },
  { value: "auth.user_reactivated", label: "Account reactivated" },
  { value: "auth.rate_limited", label: "Rate limited" },
  { value: "auth.settings_changed", label: "Clinic settings changed" },
  { value: "care_team.changed", label: "Care team changed" },
  { value: "invite.created", label: "Invite created" },
  { value: "invite.redeemed", label: "Invite redeemed" },
  { value: "invite.rejected", label: "Invite rejected" },
];

/** Table names of writes and kinds of reads (`table_name` in the trail). */
export const AUDIT_TABLES: ReadonlyArray<{ value: string; label: string; group: "Records changed" | "Records viewed" }> = [
  ...["patients", "care_team", "visits", "prescriptions", "documents", "appointments", "care_messages", "devices", "vitals", "invites"].map(
    (value) => ({ value, label: value, group: "Records changed" as const }),
  ),
  ...[
    "patient_list", "patient_chart", "visits", "prescriptions", "prescription_pdf", "documents", "document_download", "signed_url",
    "appointments", "care_team", "messages", "vitals", "devices", "invites", "export", "access_log", "audit_trail",
  ].map((value) => ({ value, label: value, group: "Records viewed" as const })),
];

/** The distinct table names, in display order (a name can be both written and read). */
export function tableOptions(): string[] {
  return [...new Set(AUDIT_TABLES.map((t) => t.value))].sort();
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** "2026-11-23" (inclusive, as typed) → "2026-11-24" (the API's exclusive `to`). Other input is returned as is. */
export function inclusiveToExclusive(day: string): string {
  if (!DATE.test(day)) return day;
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The inverse, for showing the URL's `to` in the form; "" for anything but a plain date. */
export function exclusiveToInclusive(day: string | undefined): string {
  if (!day || !DATE.test(day)) return "";
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return "";
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The query string of the filters plus an optional keyset position, without empty values. */
export function auditSearch(filters: AuditFilterValues, position?: { cursor?: string; before?: string }): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = filters[k]?.trim();
    if (v) p.set(k, v);
  }
  if (position?.cursor) p.set("cursor", position.cursor);
  else if (position?.before) p.set("before", position.before);
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** The filters as given in the page's search params (raw strings; the server validates them). */
export function filtersFromParams(params: Record<string, string | string[] | undefined>): AuditFilterValues {
  const out: AuditFilterValues = {};
  for (const k of FILTER_KEYS) {
    const v = params[k];
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (value) out[k] = value;
  }
  return out;
}

/** The CSV export link: the same filters, no paging (the export streams every match). */
export function exportHref(filters: AuditFilterValues): string {
  const { limit: _limit, ...rest } = filters;
  return `/api/v1/admin/audit/export${auditSearch(rest)}`;
}
