import { sql } from "kysely";
import type { Tx } from "../db/with-user";
import { staffIdleMinutes } from "../auth/staff-idle";
import type { ChangeTable } from "./protocol";

export interface Recipient {
  sessionId: string;
  userId: string;
}

export interface Decision {
  /** The session is still live (auth.session_is_live: not revoked or expired, account active, not pending, staff not idle). */
  live: boolean;
  /** The user may see this change now, by the same function the table's read policy uses. */
  allowed: boolean;
}

/**
 * ONE query decides, for every subscriber of a patient at once, whether each may see a
 * change: care messages by app.chartable_patient_ids (the care_messages read policy),
 * everything else by app.readable_patient_ids (the other tables' read policies). It
 * also re-checks every subscriber's session, so a revoked session is noticed at its
 * next delivery. Be extremely careful when modifying this function.
 */
export async function authorizeDelivery(
  tx: Tx,
  table: ChangeTable,
  patientId: string,
  recipients: Recipient[],
): Promise<Map<string, Decision>> {
  const readable =
    table === "care_messages" ? sql`app.chartable_patient_ids(c.uid)` : sql`app.readable_patient_ids(c.uid)`;
  const { rows } = await sql<{ sid: string; live: boolean; allowed: boolean }>`
    select c.sid::text as sid,
           auth.session_is_live(c.sid, c.uid, ${staffIdleMinutes()}) as live,
           ${patientId}::uuid = any (${readable}) as allowed
      from unnest(${recipients.map((r) => r.sessionId)}::uuid[], ${recipients.map((r) => r.userId)}::uuid[]) as c(sid, uid)`.execute(tx);
  const out = new Map<string, Decision>();
  for (const r of rows) out.set(r.sid, { live: r.live, allowed: r.live && r.allowed });
  return out;
}

/** Which of these sessions have ended (revoked, expired, account deactivated, staff idle, MFA pending). */
export async function endedSessions(tx: Tx, recipients: Recipient[]): Promise<Set<string>> {
  if (recipients.length === 0) return new Set();
  const { rows } = await sql<{ sid: string }>`
    select c.sid::text as sid
      from unnest(${recipients.map((r) => r.sessionId)}::uuid[], ${recipients.map((r) => r.userId)}::uuid[]) as c(sid, uid)
     where not auth.session_is_live(c.sid, c.uid, ${staffIdleMinutes()})`.execute(tx);
  return new Set(rows.map((r) => r.sid));
}
