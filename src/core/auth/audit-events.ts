import { recordEvent, type AuditEvent } from "../audit/events";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { log } from "../log";

/**
 * Account events for the audit trail, written through recordEvent (app.record_event), the
 * one writer of account events: it takes the actor from the session's claims (or, on the
 * service path, the account named here), the request id, address and user agent from the
 * transaction's request settings, drops secret-looking keys from the details, and refuses
 * an event about a patient a signed-in caller cannot read.
 * Details never carry passwords, tokens, codes, or the email of an unknown account.
 */
export type AccountAction =
  | "auth.setup_admin"
  | "auth.sign_up"
  | "auth.sign_up_duplicate"
  | "auth.sign_in"
  | "auth.sign_in_failed"
  | "auth.account_locked"
  | "auth.mfa_required"
  | "auth.mfa_enrolled"
  | "auth.mfa_enabled"
  | "auth.mfa_reset"
  | "auth.recovery_code_used"
  | "auth.password_changed"
  | "auth.password_reset_requested"
  | "auth.password_reset"
  | "auth.session_revoked"
  | "auth.sessions_revoked"
  | "auth.refresh_token_reused"
  | "auth.provider_verified"
  | "auth.user_created"
  | "auth.user_deactivated"
  | "auth.user_reactivated"
  | "auth.invite_created"
  | "auth.invite_redeemed"
  | "auth.invite_rejected"
  | "auth.rate_limited"
  | "auth.settings_changed"
  | "auth.email_confirmed"
  | "auth.staff_invite_sent"
  | "auth.staff_invite_accepted"
  | "auth.account_unlocked"
  | "auth.mail_notices_changed";

export interface AccountEvent {
  action: AccountAction;
  /** Who acted; inside withUser the signed-in user always is. On the service path, the account (or null: unknown). */
  actorId?: string | null;
  /** Informational only: the trail takes the role from the session or from the acting account. */
  actorRole?: string | null;
  /** The account acted upon; defaults to the actor, so an account's own events are about that account. */
  targetUserId?: string | null;
  patientId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Writes the event in the caller's transaction (asService or withUser), which must have
 * been opened with the same request context: the record's request id, address and user
 * agent come from that transaction's settings.
 */
export async function auditAccountEventTx(tx: Tx, event: AccountEvent, context: RequestContext = {}): Promise<void> {
  // AccountAction names predate the typed union in audit/events.ts (auth.account_locked, auth.invite_*):
  // they are kept because the trail, the viewer and the tests already use them.
  await recordEvent(tx, {
    action: event.action,
    actorId: event.actorId ?? null,
    targetUserId: event.targetUserId ?? event.actorId ?? null,
    patientId: event.patientId ?? null,
    details: event.details ?? {},
  } as unknown as AuditEvent);
  log.info({ requestId: context.requestId, action: event.action, actorId: event.actorId, targetUserId: event.targetUserId }, "account event");
}

/** Writes the event in its own service transaction (for events that must survive the caller's failure). */
export async function auditAccountEvent(event: AccountEvent, context: RequestContext = {}): Promise<void> {
  await asService("audit writer: account event", (tx) => auditAccountEventTx(tx, event, context), context);
}
