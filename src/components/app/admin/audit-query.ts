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

const EVENTS: ReadonlyArray<[value: string, label: string]> = [
  ["auth.sign_in", "Signed in"],
  ["auth.sign_in_failed", "Sign-in failed"],
  ["auth.account_locked", "Account locked"],
  ["auth.rate_limited", "Rate limited"],
  ["auth.mfa_required", "Two-factor code asked"],
  ["auth.mfa_enrolled", "Two-factor enrolment started"],
  ["auth.mfa_enabled", "Two-factor turned on"],
  ["auth.mfa_reset", "Two-factor reset by an admin"],
  ["auth.recovery_code_used", "Recovery code used"],
  ["auth.password_changed", "Password changed"],
  ["auth.password_reset_requested", "Password reset link mailed"],
  ["auth.password_reset", "Password reset with a mailed link"],
  ["auth.session_revoked", "Session revoked"],
  ["auth.sessions_revoked", "All sessions revoked"],
  ["auth.refresh_token_reused", "Refresh token reused"],
  ["auth.setup_admin", "First admin set up"],
  ["auth.sign_up", "Signed up"],
  ["auth.sign_up_duplicate", "Sign-up with an email that has an account"],
  ["auth.user_created", "Account created by an admin"],
  ["auth.provider_verified", "Provider verified"],
  ["auth.user_deactivated", "Account deactivated"],
  ["auth.user_reactivated", "Account reactivated"],
  ["auth.settings_changed", "Clinic settings changed"],
  ["auth.invite_created", "Invite created"],
  ["auth.invite_redeemed", "Invite redeemed"],
  ["auth.invite_rejected", "Invite rejected"],
  ["care_team.changed", "Care team changed"],
  ["auth.provider_credential_changed", "Provider credential changed"],
  ["prescription.allergy_override", "Prescribed despite a recorded allergy"],
  ["prescription.status_changed", "Prescription status changed"],
  ["prescription.verification_lookup", "Printed prescription checked (public code)"],
];

/**
 * Older spellings of events the trail may still hold; they read like the current ones and are
 * not offered twice in the filter (a URL may still ask for them).
 */
const LEGACY_EVENTS: ReadonlyArray<[value: string, label: string]> = [
  ["auth.locked", "Account locked"],
  ["invite.created", "Invite created"],
  ["invite.redeemed", "Invite redeemed"],
  ["invite.rejected", "Invite rejected"],
];

/** Record actions, then account events, each label once. */
export const AUDIT_ACTIONS: ReadonlyArray<{ value: string; label: string }> = [
  { value: "read", label: "Viewed" },
  { value: "insert", label: "Created" },
  { value: "update", label: "Changed" },
  { value: "delete", label: "Deleted" },
  ...EVENTS.map(([value, label]) => ({ value, label })),
];

const ACTION_LABELS = new Map<string, string>([...AUDIT_ACTIONS.map((a) => [a.value, a.label] as const), ...LEGACY_EVENTS]);

/** "read" → "Viewed", "auth.sign_in" → "Signed in"; an unknown action reads as words. */
export function actionLabel(action: string): string {
  return ACTION_LABELS.get(action) ?? words(action.replace(/^[a-z_]+\./, ""));
}

/** Tables and kinds of reads, as people call them. */
const TABLE_LABELS: Record<string, string> = {
  patients: "Patient details",
  care_team: "Care team",
  visits: "Visit",
  prescriptions: "Prescription",
  documents: "Document",
  appointments: "Appointment",
  care_messages: "Message",
  devices: "Wearable device",
  vitals: "Vital signs",
  invites: "Portal invitation",
  patient_list: "Patient list",
  patient_chart: "Chart",
  prescription_pdf: "Prescription PDF",
  document_download: "Document download",
  signed_url: "Document download link",
  messages: "Messages",
  export: "Record export",
  access_log: "Access log",
  audit_trail: "Audit trail",
  patient_shares: "Sharing link",
  emergency_access_grants: "Emergency access",
  "auth.users": "Account",
  "auth.sessions": "Session",
};

/** "prescriptions" → "Prescription", "patient_chart" → "Chart"; an unknown name reads as words. */
export function tableLabel(table: string): string {
  return TABLE_LABELS[table] ?? words(table.replace(/^[a-z_]+\./, ""));
}

function words(s: string): string {
  const t = s.replace(/_/g, " ").trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

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
