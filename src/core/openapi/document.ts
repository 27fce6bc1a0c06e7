// Why one file (over 300 lines): most of it is OPERATIONS, one row per route of the JSON API
// (over 100), which the OpenAPI test checks against the route files; one list in one place
// is what makes a missing row obvious. The builder below it is about 150 lines.

import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
// invites.ts first: it and signup.ts import each other, and invites.ts reads ZEmail at load
import { ZCreateInviteRequest } from "../auth/invites";
import { ACCESS_COOKIE } from "../auth/cookie-names";
import { zUuid } from "../http/parse";
import { ZListAuditQuery, ZAuditFilters } from "../audit/list-audit-records.types";
import { ZSetProviderCredentialRequest } from "../auth/set-provider-credential.types";
import { ZListProvidersQuery } from "../auth/verify-provider";
import { ZUpdateClinicSettingsRequest } from "../auth/clinic-settings";
import { ZResetMfaRequest } from "../auth/reset-mfa.types";
import { ZCreateUserRequest, ZListUsersQuery } from "../auth/admin-users";
import { ZForgotPasswordRequest, ZResetPasswordRequest } from "../auth/request-password-reset.types";
import { ZChangePasswordRequest } from "../auth/change-password";
import { ZSignInRequest } from "../auth/signin";
import { ZSignUpRequest } from "../auth/signup";
import { ZSetupRequest } from "../auth/setup";
import { ZRefreshRequest, ZVerifyRequest } from "../auth/token-requests.types";
import { ZCreateAppointmentRequest, ZUpdateAppointmentRequest } from "../clinical/appointments.types";
import { ZCallActionRequest } from "../telehealth/call.types";
import { ZAddCareTeamMemberRequest } from "../clinical/care-team.types";
import { ZCreatePatientRequest, ZListPatientsQuery, ZUpdatePatientRequest } from "../clinical/patients.types";
import { ZCreatePrescriptionRequest, ZUpdatePrescriptionRequest } from "../clinical/prescriptions.types";
import { ZCreateVisitRequest } from "../clinical/visits.types";
import { ZListMessagesQuery, ZPostMessageRequest } from "../messages/messages.types";
import { ZDeleteDocumentRequest } from "../storage/delete-document.types";
import { ZIssueSignedUrlRequest } from "../storage/issue-signed-url.types";
import { ZUploadDocumentFields } from "../storage/upload-document.types";
import { ZRegisterDeviceRequest } from "../vitals/devices.types";
import { ZListDevicesQuery } from "../vitals/list-devices.types";
import { ZGetVitalsQuery } from "../vitals/get-vitals.types";
import { ZIngestVitalsRequest } from "../vitals/ingest-vitals.types";
import { ZListEmergencyGrantsQuery, ZOpenEmergencyAccessRequest, ZReviewEmergencyAccessRequest } from "../emergency/emergency.types";
import { ZCreateShareRequest, ZOpenShareRequest } from "../sharing/sharing.types";
import { ZAcceptStaffInviteRequest, ZConfirmEmailRequest } from "../auth/email-links.types";
import { ZMailNoticesRequest } from "../auth/mail-notices";
import { ZRegisterAppRequest, ZSetAppDisabledRequest } from "../smart/register-app.types";

/**
 * The OpenAPI 3.1 document of the JSON API (GET /api/v1/openapi.json; docs/api.md).
 * Request bodies and query strings are the very zod schemas the route handlers validate
 * with; the table below says, per route file and method, which schema, which status a
 * success answers with and who may call it. It describes shapes only: no data, no PHI.
 *
 * A new route under src/app/api/v1 gets a row in OPERATIONS (src/core/openapi/openapi.test.ts
 * fails until it has one, naming the path and method).
 */

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** Who may call: a signed-in user (bearer token or session cookie), anyone, a wearable device token. */
type Auth = "user" | "public" | "device" | "path-token";

type Success = { status: number; description: string; type?: "json" | "none" | "csv" | "pdf" | "binary" };

export interface Operation {
  method: Method;
  /** As the App Router folder names it, with `{param}` for `[param]`. */
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  /** JSON body (or `multipart` for uploads); `optionalBody`: an empty body is accepted. */
  body?: z.ZodType;
  optionalBody?: boolean;
  multipart?: z.ZodObject;
  query?: z.ZodObject;
  ok: Success;
  /** Statuses besides the ones every operation of its kind can answer (see errorStatuses). */
  errors?: number[];
}

const json = (status: number, description: string): Success => ({ status, description, type: "json" });
const created = (what: string) => json(201, `${what} created.`);
const none: Success = { status: 204, description: "Done; no body.", type: "none" };

/** One row per route file and method under src/app/api/v1. Keep sorted by path. */
export const OPERATIONS: Operation[] = [
  // --- administration (admins signed in with two factors)
  { method: "get", path: "/api/v1/admin/audit", tag: "admin", auth: "user", summary: "List audit records (filters, keyset paging).", query: ZListAuditQuery, ok: json(200, "A page of audit records and the next cursor.") },
  { method: "get", path: "/api/v1/admin/audit/export", tag: "admin", auth: "user", summary: "Export audit records as CSV (itself audited).", query: ZAuditFilters, ok: { status: 200, description: "CSV, streamed.", type: "csv" } },
  { method: "get", path: "/api/v1/admin/apps", tag: "outside apps", auth: "user", summary: "The registered outside apps (SMART on FHIR clients); admins with two factors.", ok: json(200, "The apps.") },
  { method: "post", path: "/api/v1/admin/apps", tag: "outside apps", auth: "user", summary: "Register an outside app: name, redirect URIs, public or confidential, allowed scopes. A confidential app's client_secret is shown only here.", body: ZRegisterAppRequest, ok: created("The app (client_id)") },
  { method: "patch", path: "/api/v1/admin/apps/{client_id}", tag: "outside apps", auth: "user", summary: "Disable an app (every connection to it ends at once) or enable it again.", body: ZSetAppDisabledRequest, ok: json(200, "The app.") },
  { method: "get", path: "/api/v1/admin/emergency-access", tag: "emergency access", auth: "user", summary: "Every break-the-glass grant, its reason, the reads under it and its review.", query: ZListEmergencyGrantsQuery, ok: json(200, "The grants.") },
  { method: "post", path: "/api/v1/admin/emergency-access/{id}/review", tag: "emergency access", auth: "user", summary: "Record an admin's review of a grant.", body: ZReviewEmergencyAccessRequest, ok: json(200, "The grant, reviewed.") },
  { method: "get", path: "/api/v1/admin/providers", tag: "admin", auth: "user", summary: "List providers (`?status=pending`: waiting for verification).", query: ZListProvidersQuery, ok: json(200, "The providers.") },
  { method: "put", path: "/api/v1/admin/providers/{id}/credential", tag: "admin", auth: "user", summary: "Set a provider's professional credential.", body: ZSetProviderCredentialRequest, ok: json(200, "The provider.") },
  { method: "post", path: "/api/v1/admin/providers/{id}/verify", tag: "admin", auth: "user", summary: "Verify a provider.", ok: json(200, "The provider, verified.") },
  { method: "get", path: "/api/v1/admin/settings", tag: "admin", auth: "user", summary: "Read the clinic settings.", ok: json(200, "The clinic settings.") },
  { method: "patch", path: "/api/v1/admin/settings", tag: "admin", auth: "user", summary: "Change the clinic settings.", body: ZUpdateClinicSettingsRequest, ok: json(200, "The clinic settings.") },
  { method: "get", path: "/api/v1/admin/users", tag: "admin", auth: "user", summary: "List user accounts.", query: ZListUsersQuery, ok: json(200, "A page of accounts.") },
  { method: "post", path: "/api/v1/admin/users", tag: "admin", auth: "user", summary: "Create an account.", body: ZCreateUserRequest, ok: created("The account"), errors: [409] },
  { method: "post", path: "/api/v1/admin/users/{id}/activate", tag: "admin", auth: "user", summary: "Reactivate an account.", ok: json(200, "The account.") },
  { method: "post", path: "/api/v1/admin/users/{id}/deactivate", tag: "admin", auth: "user", summary: "Deactivate an account (its sessions end).", ok: json(200, "The account.") },
  { method: "post", path: "/api/v1/admin/users/{id}/invite", tag: "admin", auth: "user", summary: "Send an invited staff account a new invitation (the previous link stops working).", ok: json(200, "The account.") },
  { method: "post", path: "/api/v1/admin/users/{id}/mfa/reset", tag: "admin", auth: "user", summary: "Reset an account's two-factor sign-in.", body: ZResetMfaRequest, ok: json(200, "The account.") },
  { method: "post", path: "/api/v1/admin/users/{id}/unlock", tag: "admin", auth: "user", summary: "Clear an account's sign-in lockout.", ok: json(200, "The account.") },
  // --- appointments
  { method: "patch", path: "/api/v1/appointments/{id}", tag: "appointments", auth: "user", summary: "Change an appointment's status, or reschedule it.", body: ZUpdateAppointmentRequest, ok: json(200, "The appointment."), errors: [409] },
  { method: "get", path: "/api/v1/appointments/{id}/call", tag: "appointments", auth: "user", summary: "A telehealth appointment's video call: the caller's role, the call, and ICE servers with TURN credentials minted for the caller (not_found for anyone who may not join).", ok: json(200, "The call state and ICE servers.") },
  { method: "post", path: "/api/v1/appointments/{id}/call", tag: "appointments", auth: "user", summary: "The appointment's provider starts or ends the video call (ending records a telehealth visit), or adds a care-team member to it.", body: ZCallActionRequest, ok: json(200, "The call state."), errors: [409] },
  // --- authentication and the caller's account
  { method: "post", path: "/api/v1/auth/email/verify", tag: "auth", auth: "public", summary: "Confirm an account's address with the mailed link's token (single use).", body: ZConfirmEmailRequest, ok: json(200, "Confirmed.") },
  { method: "post", path: "/api/v1/auth/invite/accept", tag: "auth", auth: "public", summary: "A staff invitee chooses a password with the mailed link's token (single use).", body: ZAcceptStaffInviteRequest, ok: json(200, "The account is ready to sign in.") },
  { method: "post", path: "/api/v1/auth/logout", tag: "auth", auth: "user", summary: "End the caller's session (bearer or cookie).", ok: none },
  { method: "post", path: "/api/v1/auth/mfa/enroll", tag: "auth", auth: "user", summary: "Start two-factor enrolment (a TOTP secret and its URI).", ok: json(200, "The secret to enter in an authenticator app.") },
  { method: "post", path: "/api/v1/auth/mfa/verify", tag: "auth", auth: "user", summary: "Confirm enrolment with a code; the session becomes a two-factor one.", body: ZVerifyRequest, ok: json(200, "A new token pair and the account.") },
  { method: "post", path: "/api/v1/auth/password", tag: "auth", auth: "user", summary: "Change the caller's password.", body: ZChangePasswordRequest, ok: json(200, "Changed; other sessions ended.") },
  { method: "post", path: "/api/v1/auth/password/forgot", tag: "auth", auth: "public", summary: "Ask for a password-reset link (the same answer for every address).", body: ZForgotPasswordRequest, ok: json(202, "Accepted.") },
  { method: "post", path: "/api/v1/auth/password/reset", tag: "auth", auth: "public", summary: "Set a new password with a reset link's token.", body: ZResetPasswordRequest, ok: json(200, "Password set.") },
  { method: "post", path: "/api/v1/auth/session", tag: "auth", auth: "public", summary: "Browser sign-in: sets the HttpOnly session cookies (same origin only).", body: ZSignInRequest, ok: json(200, "The account and the access token's lifetime; the tokens are in cookies.") },
  { method: "delete", path: "/api/v1/auth/session", tag: "auth", auth: "public", summary: "Browser sign-out: revokes the session and clears the cookies.", ok: none },
  { method: "post", path: "/api/v1/auth/session/refresh", tag: "auth", auth: "public", summary: "Browser silent refresh: new cookies from the refresh cookie.", ok: json(200, "The new access token's lifetime.") },
  { method: "get", path: "/api/v1/auth/sessions", tag: "auth", auth: "user", summary: "The caller's active sessions.", ok: json(200, "The sessions.") },
  { method: "delete", path: "/api/v1/auth/sessions", tag: "auth", auth: "user", summary: "Sign out everywhere, this session included.", ok: none },
  { method: "delete", path: "/api/v1/auth/sessions/{id}", tag: "auth", auth: "user", summary: "Sign out one of the caller's own sessions.", ok: none },
  { method: "post", path: "/api/v1/auth/signup", tag: "auth", auth: "public", summary: "Sign up as a provider (verified later) or as an invited patient.", body: ZSignUpRequest, ok: created("The account") },
  { method: "post", path: "/api/v1/auth/token", tag: "auth", auth: "public", summary: "Sign in for API clients: an access and a refresh token.", body: ZSignInRequest, ok: json(200, "The token pair and the account.") },
  { method: "post", path: "/api/v1/auth/token/refresh", tag: "auth", auth: "public", summary: "Spend a refresh token for a new pair (a spent one revokes its session).", body: ZRefreshRequest, ok: json(200, "A new token pair.") },
  { method: "get", path: "/api/v1/auth/user", tag: "auth", auth: "user", summary: "The caller's account.", ok: json(200, "The account, with `mfa_pending` and `aal`.") },
  // --- wearable devices
  { method: "get", path: "/api/v1/devices", tag: "devices", auth: "user", summary: "List devices (a patient's own; `?patient_id=` for staff).", query: ZListDevicesQuery, ok: json(200, "The devices.") },
  { method: "post", path: "/api/v1/devices", tag: "devices", auth: "user", summary: "Register a device (patients); the answer holds its token once.", body: ZRegisterDeviceRequest, ok: created("The device and its token") },
  { method: "delete", path: "/api/v1/devices/{id}", tag: "devices", auth: "user", summary: "Revoke a device.", ok: none },
  // --- break-the-glass access
  { method: "post", path: "/api/v1/emergency-access", tag: "emergency access", auth: "user", summary: "Open emergency access to a patient's record, with a reason (404 for any miss).", body: ZOpenEmergencyAccessRequest, ok: created("The grant (id, patient, expiry)") },
  { method: "delete", path: "/api/v1/emergency-access/{id}", tag: "emergency access", auth: "user", summary: "End the caller's open grant now.", ok: none },
  // --- documents
  { method: "delete", path: "/api/v1/documents/{id}", tag: "documents", auth: "user", summary: "Delete a document (with a reason).", body: ZDeleteDocumentRequest, ok: none },
  { method: "post", path: "/api/v1/documents/{id}/review", tag: "documents", auth: "user", summary: "Mark a document reviewed.", ok: json(200, "The document.") },
  { method: "post", path: "/api/v1/documents/{id}/signed-url", tag: "documents", auth: "user", summary: "Issue a short-lived download URL bound to the caller.", body: ZIssueSignedUrlRequest, optionalBody: true, ok: json(200, "The URL and its expiry.") },
  { method: "get", path: "/api/v1/files/{token}", tag: "documents", auth: "path-token", summary: "Download a document through a signed URL (the token in the path is the credential).", ok: { status: 200, description: "The document's bytes, with its own content type.", type: "binary" } },
  // --- the patient portal
  { method: "get", path: "/api/v1/me/emergency-access", tag: "emergency access", auth: "user", summary: "Emergency accesses to the caller's own record: who and why (patients).", ok: json(200, "The accesses.") },
  { method: "get", path: "/api/v1/me/notices", tag: "auth", auth: "user", summary: "Whether the caller gets notices by mail (security notices always go).", ok: json(200, "The setting.") },
  { method: "put", path: "/api/v1/me/notices", tag: "auth", auth: "user", summary: "Turn notices by mail on or off.", body: ZMailNoticesRequest, ok: json(200, "The setting.") },
  { method: "get", path: "/api/v1/me/patient", tag: "patients", auth: "user", summary: "The signed-in patient's own record.", ok: json(200, "The patient record.") },
  { method: "get", path: "/api/v1/me/apps", tag: "outside apps", auth: "user", summary: "The caller's connected apps: scopes granted (in plain words), when connected, last use.", ok: json(200, "The connected apps.") },
  { method: "delete", path: "/api/v1/me/apps/{client_id}", tag: "outside apps", auth: "user", summary: "Disconnect an app: every token it holds for the caller stops working at once.", ok: none },
  { method: "get", path: "/api/v1/me/shares", tag: "sharing", auth: "user", summary: "The caller's sharing links and their views (patients).", ok: json(200, "The shares.") },
  { method: "post", path: "/api/v1/me/shares", tag: "sharing", auth: "user", summary: "Share parts of the caller's own record (the link and code are shown only here).", body: ZCreateShareRequest, ok: created("The share") },
  { method: "delete", path: "/api/v1/me/shares/{id}", tag: "sharing", auth: "user", summary: "Revoke a share at once.", ok: none },
  // --- this document
  { method: "get", path: "/api/v1/openapi.json", tag: "meta", auth: "public", summary: "This OpenAPI document.", ok: json(200, "OpenAPI 3.1 document.") },
  // --- patients and their charts
  { method: "get", path: "/api/v1/patients", tag: "patients", auth: "user", summary: "List or search the patients the caller may read.", query: ZListPatientsQuery, ok: json(200, "A page of patients.") },
  { method: "post", path: "/api/v1/patients", tag: "patients", auth: "user", summary: "Create a patient record (the creating provider becomes attending).", body: ZCreatePatientRequest, ok: created("The patient"), errors: [409] },
  { method: "get", path: "/api/v1/patients/{id}", tag: "patients", auth: "user", summary: "Read a patient's chart (audited).", ok: json(200, "The patient.") },
  { method: "patch", path: "/api/v1/patients/{id}", tag: "patients", auth: "user", summary: "Change a patient's demographics.", body: ZUpdatePatientRequest, ok: json(200, "The patient."), errors: [409] },
  { method: "get", path: "/api/v1/patients/{id}/access-log", tag: "patients", auth: "user", summary: "Who opened or changed this record (the patient, or an admin).", query: z.object({ cursor: z.string().optional(), limit: z.string().regex(/^\d{1,3}$/).optional(), others_only: z.enum(["true", "false"]).optional() }), ok: json(200, "A page of access records.") },
  { method: "get", path: "/api/v1/patients/{id}/appointments", tag: "appointments", auth: "user", summary: "A patient's appointments.", ok: json(200, "The appointments.") },
  { method: "post", path: "/api/v1/patients/{id}/appointments", tag: "appointments", auth: "user", summary: "Request (patient) or book (care team) an appointment.", body: ZCreateAppointmentRequest, ok: created("The appointment"), errors: [409] },
  { method: "get", path: "/api/v1/patients/{id}/care-team", tag: "care team", auth: "user", summary: "A patient's care team.", ok: json(200, "The members.") },
  { method: "post", path: "/api/v1/patients/{id}/care-team", tag: "care team", auth: "user", summary: "Add a provider to the care team (attending or admin).", body: ZAddCareTeamMemberRequest, ok: created("The membership"), errors: [409] },
  { method: "delete", path: "/api/v1/patients/{id}/care-team/{provider_id}", tag: "care team", auth: "user", summary: "Remove a provider from the care team.", ok: none },
  { method: "get", path: "/api/v1/patients/{id}/documents", tag: "documents", auth: "user", summary: "A patient's documents (metadata).", ok: json(200, "The documents.") },
  { method: "post", path: "/api/v1/patients/{id}/documents", tag: "documents", auth: "user", summary: "Upload a document (multipart; streamed, type and size checked while read).", multipart: ZUploadDocumentFields, ok: created("The document"), errors: [413, 415, 507] },
  { method: "post", path: "/api/v1/patients/{id}/invite", tag: "patients", auth: "user", summary: "A single-use portal invitation for this patient.", body: ZCreateInviteRequest, optionalBody: true, ok: created("The invitation (code and link, shown once)") },
  { method: "get", path: "/api/v1/patients/{id}/messages", tag: "messages", auth: "user", summary: "The care team's messages about a patient (keyset paging).", query: ZListMessagesQuery, ok: json(200, "A page of messages.") },
  { method: "post", path: "/api/v1/patients/{id}/messages", tag: "messages", auth: "user", summary: "Post a care-team message.", body: ZPostMessageRequest, ok: created("The message") },
  { method: "get", path: "/api/v1/patients/{id}/prescriptions", tag: "prescriptions", auth: "user", summary: "A patient's prescriptions.", ok: json(200, "The prescriptions.") },
  { method: "post", path: "/api/v1/patients/{id}/prescriptions", tag: "prescriptions", auth: "user", summary: "Prescribe (prescribing providers on the care team).", body: ZCreatePrescriptionRequest, ok: created("The prescription") },
  { method: "get", path: "/api/v1/patients/{id}/visits", tag: "visits", auth: "user", summary: "A patient's visits.", ok: json(200, "The visits.") },
  { method: "post", path: "/api/v1/patients/{id}/visits", tag: "visits", auth: "user", summary: "Record a visit.", body: ZCreateVisitRequest, ok: created("The visit") },
  { method: "get", path: "/api/v1/patients/{id}/vitals", tag: "vitals", auth: "user", summary: "A patient's wearable vital signs over a period.", query: ZGetVitalsQuery, ok: json(200, "The series.") },
  { method: "patch", path: "/api/v1/prescriptions/{id}", tag: "prescriptions", auth: "user", summary: "Change a prescription's status (with a reason when discontinuing).", body: ZUpdatePrescriptionRequest, ok: json(200, "The prescription.") },
  { method: "get", path: "/api/v1/prescriptions/{id}/pdf", tag: "prescriptions", auth: "user", summary: "The prescription as a PDF (audited).", ok: { status: 200, description: "The PDF.", type: "pdf" } },
  // --- first start
  { method: "get", path: "/api/v1/setup", tag: "setup", auth: "public", summary: "Whether the first administrator still has to be created.", ok: json(200, "`{setup_needed}`.") },
  { method: "post", path: "/api/v1/setup", tag: "setup", auth: "public", summary: "Create the first administrator (once).", body: ZSetupRequest, ok: created("The administrator"), errors: [409] },
  // --- without an account: a share's recipient, a printed prescription's check
  { method: "post", path: "/api/v1/shares/open", tag: "sharing", auth: "public", summary: "A share recipient's read-only view (token and code in the body, never in the URL).", body: ZOpenShareRequest, ok: json(200, "The shared parts of the record."), errors: [423, 429] },
  { method: "get", path: "/api/v1/verify/{code}", tag: "prescriptions", auth: "public", summary: "Check a printed prescription's verification code (unknown and malformed: 404).", ok: json(200, "What the prescription says, for the check."), errors: [429] },
  // --- wearable ingestion
  { method: "post", path: "/api/v1/vitals", tag: "vitals", auth: "device", summary: "Ingest wearable samples (device token).", body: ZIngestVitalsRequest, ok: json(202, "Accepted: how many samples were stored.") },
];

/** `{"error":{"code","message"[,"fields"]}}`: every error answer (docs/errors.md). */
export const ZErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable, machine-readable (e.g. `invalid_request`, `not_found`, `rate_limited`)." }),
      message: z.string().meta({ description: "For people; never holds PHI, passwords or tokens." }),
      fields: z.record(z.string(), z.string()).optional().meta({ description: "Per-field messages for forms (400/422)." }),
    }),
  })
  .meta({ id: "Error" });

const ERROR_TEXT: Record<number, string> = {
  400: "Malformed input: not JSON, a field of the wrong type, an unknown field, a path id that is not a UUID.",
  401: "No session, or it has ended (signed out, expired, revoked).",
  403: "Signed in, but not allowed (a role, two factors required, a cross-site cookie request).",
  404: "Not found, or not visible to the caller: both answer the same.",
  409: "Conflicts with existing data (a unique value, a double booking, a status change not allowed).",
  413: "The body is larger than allowed.",
  415: "The content type is not accepted.",
  422: "Well-formed input with values that are not accepted; `fields` names them.",
  423: "Locked after too many wrong attempts.",
  429: "Too many attempts; `Retry-After` says when to try again.",
  500: "An unexpected error; the message quotes the request id.",
  503: "A dependency (the database, the object store) is unavailable; `Retry-After` says when to try again.",
  507: "The object store is full.",
};

function errorStatuses(op: Operation): number[] {
  const s = new Set<number>([500, 503]);
  if (op.body || op.query || op.multipart || op.path.includes("{")) s.add(400);
  if (op.body || op.query || op.multipart) s.add(422);
  if (op.auth === "user" || op.auth === "device") s.add(401);
  if (op.auth === "user") s.add(403);
  if (op.path.includes("{")) s.add(404);
  if (op.path.startsWith("/api/v1/auth/") && op.auth === "public") s.add(429);
  for (const e of op.errors ?? []) s.add(e);
  return [...s].sort((a, b) => a - b);
}

const GENERIC_JSON = z.looseObject({}).meta({ description: "See the summary; fields as in the API reference." });

function successContent(ok: Success): Record<string, { schema: z.ZodType }> | undefined {
  switch (ok.type ?? "json") {
    case "none":
      return undefined;
    case "csv":
      return { "text/csv": { schema: z.string() } };
    case "pdf":
      return { "application/pdf": { schema: z.string().meta({ format: "binary" }) } };
    case "binary":
      return { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } };
    default:
      return { "application/json": { schema: GENERIC_JSON } };
  }
}

function pathParams(p: string): z.ZodObject | undefined {
  const names = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  if (!names.length) return undefined;
  // ids are UUIDs (`id`, `provider_id`; not an app's `client_id`); anything else (a signed URL's token, a verification code) is a string
  return z.object(Object.fromEntries(names.map((n) => [n, n === "id" || (n.endsWith("_id") && n !== "client_id") ? zUuid.meta({ format: "uuid" }) : z.string().max(512)])));
}

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
  user: [{ bearerAuth: [] }, { cookieAuth: [] }],
  device: [{ deviceToken: [] }],
  public: [],
  "path-token": [],
};

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31["generateDocument"]> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The access token from POST /api/v1/auth/token (API clients).",
  });
  registry.registerComponent("securitySchemes", "cookieAuth", {
    type: "apiKey",
    in: "cookie",
    name: ACCESS_COOKIE,
    description: "The browser session cookie set by POST /api/v1/auth/session. Unsafe methods must also come from the same origin (Origin or Sec-Fetch-Site).",
  });
  registry.registerComponent("securitySchemes", "deviceToken", {
    type: "http",
    scheme: "bearer",
    description: "A wearable device's token from POST /api/v1/devices (POST /api/v1/vitals only).",
  });

  for (const op of OPERATIONS) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {
      [String(op.ok.status)]: { description: op.ok.description, content: successContent(op.ok) },
    };
    for (const status of errorStatuses(op)) {
      responses[String(status)] = { description: ERROR_TEXT[status] ?? "An error.", content: { "application/json": { schema: ZErrorBody } } };
    }
    const body = op.body
      ? { required: !op.optionalBody, content: { "application/json": { schema: op.body } } }
      : op.multipart
        ? { required: true, content: { "multipart/form-data": { schema: op.multipart.extend({ file: z.string().meta({ format: "binary", description: "The document (PDF, PNG, JPEG…)." }) }) } } }
        : undefined;
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: operationId(op),
      summary: op.summary,
      tags: [op.tag],
      security: SECURITY[op.auth],
      request: { params: pathParams(op.path), query: op.query, body },
      responses,
    });
  }

  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Carebase JSON API",
      version: "1",
      description:
        "The JSON API of Carebase, a medical-records portal. Every answer is JSON unless stated; every error is `{\"error\":{\"code\",\"message\"}}` (with `fields` for 400/422). Records a caller may not see answer 404, exactly like records that do not exist. See docs/api.md in the repository.",
    },
    servers: [{ url: "/" }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
  });
  fixRegexFlags(doc);
  return doc;
}

/**
 * zod-to-openapi 9.1 writes a regex's flags into `pattern` (`^[0-9a-f]{8}…$/i`), which no
 * validator then matches. JSON Schema patterns have no flags: drop them, and spell out
 * what `i` meant for the letter ranges our patterns use.
 */
export function fixRegexFlags(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) fixRegexFlags(n);
    return;
  }
  if (!node || typeof node !== "object") return;
  const o = node as Record<string, unknown>;
  if (typeof o.pattern === "string") {
    const m = /^(.*\$)\/([dgimsuyv]+)$/.exec(o.pattern);
    if (m) o.pattern = m[2].includes("i") ? m[1].replace(/a-f(?!A-F)/g, "a-fA-F").replace(/a-z(?!A-Z)/g, "a-zA-Z") : m[1];
  }
  for (const v of Object.values(o)) fixRegexFlags(v);
}

function operationId(op: Operation): string {
  const words = op.path
    .replace(/^\/api\/v1\//, "")
    .split(/[/.-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith("{") ? `by ${w.slice(1, -1)}` : w))
    .join(" ")
    .split(/[\s_]+/);
  return [op.method, ...words].map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join("");
}

let cached: ReturnType<typeof buildOpenApiDocument> | undefined;

/** Built once per process: the document depends on the code only. */
export function openApiDocument(): ReturnType<typeof buildOpenApiDocument> {
  cached ??= buildOpenApiDocument();
  return cached;
}
