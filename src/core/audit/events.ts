import { sql } from "kysely";
import type { Tx } from "../db/with-user";

/**
 * Account and access-management events in the audit trail, as a typed union: each action
 * says what its details may carry. Details never carry passwords, tokens, codes, TOTP
 * secrets, or the email of an account that does not exist (app.record_event also drops
 * secret-looking keys).
 */
export interface EventDetails {
  "auth.setup_admin": Record<string, never>;
  "auth.sign_up": { role: "patient" | "provider" };
  "auth.sign_in": { aal: "aal1" | "aal2"; method?: "password" | "totp" | "recovery_code" };
  "auth.sign_in_failed": { reason: "bad_credentials" | "unknown_account" | "inactive" | "locked" | "mfa_failed" | "mfa_required" };
  "auth.locked": { until: string; failures: number };
  "auth.mfa_required": Record<string, never>;
  "auth.mfa_enrolled": Record<string, never>;
  "auth.mfa_enabled": Record<string, never>;
  "auth.mfa_reset": { sessions_revoked: number; reason: string };
  "auth.recovery_code_used": { remaining: number };
  "auth.password_changed": { sessions_revoked?: number };
  "auth.session_revoked": { session_id: string; reason: string };
  "auth.sessions_revoked": { count: number; reason: string };
  "auth.refresh_token_reused": { session_id: string };
  "auth.provider_verified": { verified: boolean };
  "auth.user_created": { role: "patient" | "provider" | "admin" };
  "auth.user_deactivated": { sessions_revoked?: number };
  "auth.user_reactivated": Record<string, never>;
  "auth.rate_limited": { bucket: string };
  "auth.settings_changed": { changes: Record<string, unknown> };
  "auth.provider_credential_changed": { credential: string; previous: string };
  "prescription.allergy_override": { prescription_id: string; allergies: string[]; reason: string };
  "prescription.status_changed": { prescription_id: string; status: string; previous: string; reason?: string };
  /** Written by app.verify_prescription (0720), never from TypeScript: a public code lookup, found or not. */
  "prescription.verification_lookup": { found: boolean; prescription_id?: string };
  "care_team.changed": { change: "added" | "removed" | "role_changed"; provider_id: string; role?: string; previous_role?: string };
  "invite.created": { invite_id: string; expires_at: string };
  "invite.redeemed": { invite_id: string };
  "invite.rejected": { reason: "unknown" | "expired" | "used" };
}

export type AuditAction = keyof EventDetails;

/** One event: the action decides the shape of its details. */
export type AuditEvent = {
  [A in AuditAction]: {
    action: A;
    /** Who acted. Inside withUser the signed-in user always is; give it on the service path (sign-in). */
    actorId?: string | null;
    /** The account acted upon (signed in, locked, verified, deactivated...). */
    targetUserId?: string | null;
    /** The patient concerned, if any: the event then shows in that patient's access report. */
    patientId?: string | null;
    details?: EventDetails[A];
  };
}[AuditAction];

/**
 * Records an account event in the caller's transaction (withUser or asService), through
 * the security definer function app.record_event, so that it commits or rolls back with
 * the change it describes. For an event that must survive a failing transaction (a failed
 * sign-in), call it in its own asService transaction.
 */
export async function recordEvent(tx: Tx, event: AuditEvent): Promise<void> {
  await sql`select app.record_event(${event.action}, ${event.actorId ?? null}::uuid, ${event.targetUserId ?? null}::uuid,
                                    ${event.patientId ?? null}::uuid, ${JSON.stringify(event.details ?? {})}::jsonb)`.execute(tx);
}
