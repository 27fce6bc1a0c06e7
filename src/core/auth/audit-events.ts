import { asService, type RequestContext, type Tx } from "../db/with-user";
import { log } from "../log";

/**
 * Account events for the audit trail. Interim writer until src/core/audit/events.ts
 * (recordEvent) lands; then this file becomes a thin call to it.
 * Details never carry passwords, tokens, codes, or the email of an unknown account.
 */
export type AccountAction =
  | "auth.setup_admin"
  | "auth.sign_up"
  | "auth.sign_in"
  | "auth.sign_in_failed"
  | "auth.account_locked"
  | "auth.mfa_required"
  | "auth.mfa_enrolled"
  | "auth.mfa_enabled"
  | "auth.recovery_code_used"
  | "auth.password_changed"
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
  | "auth.settings_changed";

export interface AccountEvent {
  action: AccountAction;
  actorId?: string | null;
  actorRole?: string | null;
  targetUserId?: string | null;
  patientId?: string | null;
  details?: Record<string, unknown>;
}

/** Writes the event inside a service transaction the caller already holds. */
export async function auditAccountEventTx(tx: Tx, event: AccountEvent, context: RequestContext = {}): Promise<void> {
  await tx
    .insertInto("audit_log")
    .values({
      actor_id: event.actorId ?? null,
      actor_role: event.actorRole ?? null,
      action: event.action,
      table_name: "auth.users",
      record_id: event.targetUserId ?? event.actorId ?? null,
      patient_id: event.patientId ?? null,
      details: JSON.stringify(event.details ?? {}),
      request_id: context.requestId ?? null,
      ip: context.ip ?? null,
      user_agent: context.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  log.info({ requestId: context.requestId, action: event.action, actorId: event.actorId, targetUserId: event.targetUserId }, "account event");
}

/** Writes the event in its own service transaction (for events that must survive the caller's failure). */
export async function auditAccountEvent(event: AccountEvent, context: RequestContext = {}): Promise<void> {
  await asService("audit writer: account event", (tx) => auditAccountEventTx(tx, event, context), context);
}
