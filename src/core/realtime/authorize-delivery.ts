import { sql } from "kysely";
import type { Tx } from "../db/with-user";
import { staffIdleMinutes } from "../auth/staff-idle";
import type { ChangeTable } from "./protocol";

export interface Recipient {
  sessionId: string;
  userId: string;
}

export interface Decision {
  /** The session is still live (auth.live_session_ids: not revoked or expired, account active, not pending, staff not idle). */
  live: boolean;
  /** The user may see this change now: the inverse of the set the table's read policy uses (0920). */
  allowed: boolean;
}

/**
 * ONE query decides, for every subscriber of a patient at once, whether each may see a
 * change: care messages by the patient's care team (app.patient_care_team_ids, the
 * inverse of app.chartable_patient_ids, the care_messages read policy), everything else
 * by the patient's readers (app.patient_reader_ids, the inverse of
 * app.readable_patient_ids, the other tables' read policies). It also re-checks every
 * subscriber's session (auth.live_session_ids), so a revoked session is noticed at its
 * next delivery. Each set is computed once per change (an InitPlan), not once per subscriber (0920), so
 * the query costs about the same for 1 subscriber or 100. Be extremely careful when
 * modifying this function: tests/realtime/authorisation-sets.test.ts holds the inverse sets to the
 * forward ones.
 */
export async function authorizeDelivery(
  tx: Tx,
  table: ChangeTable,
  patientId: string,
  recipients: Recipient[],
): Promise<Map<string, Decision>> {
  const readers =
    table === "care_messages" ? sql`app.patient_care_team_ids(${patientId}::uuid)` : sql`app.patient_reader_ids(${patientId}::uuid)`;
  const sids = recipients.map((r) => r.sessionId);
  const uids = recipients.map((r) => r.userId);
  const { rows } = await sql<{ sid: string; live: boolean; allowed: boolean }>`
    select c.sid::text as sid,
           coalesce(c.sid = any ((select auth.live_session_ids(${sids}::uuid[], ${uids}::uuid[], ${staffIdleMinutes()}))::uuid[]), false) as live,
           coalesce(c.uid = any ((select ${readers})::uuid[]), false) as allowed
      from unnest(${sids}::uuid[], ${uids}::uuid[]) as c(sid, uid)`.execute(tx);
  const out = new Map<string, Decision>();
  for (const r of rows) out.set(r.sid, { live: r.live, allowed: r.live && r.allowed });
  return out;
}

/** Which of these sessions have ended (revoked, expired, account deactivated, staff idle, MFA pending). */
export async function endedSessions(tx: Tx, recipients: Recipient[]): Promise<Set<string>> {
  if (recipients.length === 0) return new Set();
  const sids = recipients.map((r) => r.sessionId);
  const { rows } = await sql<{ ids: string[] }>`
    select auth.live_session_ids(${sids}::uuid[], ${recipients.map((r) => r.userId)}::uuid[], ${staffIdleMinutes()})::text[] as ids`.execute(tx);
  const live = new Set(rows[0]?.ids ?? []);
  return new Set(sids.filter((sid) => !live.has(sid)));
}
