import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { accountKey, hit, ipKey } from "../auth/rate-limit";
import { drainStagedReads, recordRead } from "../audit/record";
import { emergencyAccessMinutes } from "../config";
import { withUser, type RequestContext } from "../db/with-user";
import { ConflictError, NotFoundError } from "../errors";
import { renderEmergencyNotice } from "./notice-mail";
import type {
  ActiveEmergencyGrant,
  AdminEmergencyGrant,
  EmergencyGrant,
  PatientEmergencyAccess,
  TOpenEmergencyAccessRequest,
  TReviewEmergencyAccessRequest,
} from "./emergency.types";

/**
 * Break-the-glass (docs/emergency-access.md). POST /api/v1/emergency-access.
 *
 * Every attempt is counted first, per account and per address (429 past the limit). The
 * database decides the rest in one call (app.open_emergency_access): the caller must be a
 * verified, active provider with a prescribing or nursing credential, and the patient must
 * match BOTH the MRN and the date of birth. Any miss is the same 404 after the same work.
 * In the same transaction: the care team's realtime event (the grant row's change capture)
 * and their mail (app.enqueue_emergency_notice). The grant itself is on the audit trail.
 */
export async function openEmergencyAccess(
  session: Session,
  input: TOpenEmergencyAccessRequest,
  context: RequestContext,
  minutes: number = emergencyAccessMinutes(),
): Promise<EmergencyGrant> {
  await hit("emergency_account", accountKey(session.userId), context);
  await hit("emergency_ip", ipKey(context), context);
  // Only providers can hold a grant; anyone else gets the answer of a patient that does not match.
  if (session.role !== "provider") throw new NotFoundError("patient");
  return withUser(session, async (tx) => {
    let rows: EmergencyGrant[];
    try {
      ({ rows } = await sql<EmergencyGrant>`
        select id, patient_id, expires_at
          from app.open_emergency_access(${input.mrn}, ${input.date_of_birth}::date, ${input.reason}, ${minutes})`.execute(tx));
    } catch (e) {
      if ((e as { code?: string }).code === "CB409") {
        throw new ConflictError("You can already read this chart: emergency access is for patients outside your care teams.", "already_readable");
      }
      throw e;
    }
    const grant = rows[0];
    if (!grant) throw new NotFoundError("patient");
    const notice = renderEmergencyNotice();
    await sql`select app.enqueue_emergency_notice(${grant.id}::uuid, ${notice.subject}, ${notice.bodySealed}, ${notice.status})`.execute(tx);
    return { id: grant.id, patient_id: grant.patient_id, expires_at: new Date(grant.expires_at) };
  }, context);
}

/** DELETE /api/v1/emergency-access/{id}: the holder ends their open grant now. 404 if it is not theirs or not open. */
export async function endEmergencyAccess(session: Session, id: string, context: RequestContext): Promise<void> {
  const ended = await withUser(session, async (tx) =>
    (await sql<{ ended: boolean }>`select app.end_emergency_access(${id}::uuid) as ended`.execute(tx)).rows[0]?.ended === true,
  context);
  if (!ended) throw new NotFoundError("emergency access");
}

/** The caller's open grant on a patient, if any (the chart banner). Not a read of PHI beyond the caller's own reason. */
export async function activeEmergencyGrant(session: Session, patientId: string, context: RequestContext): Promise<ActiveEmergencyGrant | null> {
  if (session.role !== "provider") return null;
  return withUser(session, async (tx) => {
    const row = await tx
      .selectFrom("emergency_access_grants")
      .select(["id", "patient_id", "reason", "created_at", "expires_at"])
      .where("provider_id", "=", session.userId)
      .where("patient_id", "=", patientId)
      .where("ended_at", "is", null)
      .where("expires_at", ">", sql<Date>`now()`)
      .orderBy("created_at", "desc")
      .executeTakeFirst();
    return row ?? null;
  }, context);
}

const STATE = sql<"active" | "ended" | "expired">`case when g.ended_at is not null then 'ended' when g.expires_at <= now() then 'expired' else 'active' end`;

/**
 * GET /api/v1/admin/emergency-access (admin, aal2): every grant, newest first, with the reads
 * made under it and its review. Unreviewed first when `unreviewedOnly`. Audited as a read
 * of each listed patient's trail.
 */
export async function listEmergencyGrants(
  session: Session,
  context: RequestContext,
  opts: { unreviewedOnly?: boolean; limit?: number } = {},
): Promise<AdminEmergencyGrant[]> {
  requireAdmin(session);
  await drainStagedReads(); // reads made under a grant are counted from the trail (docs/audit.md)
  return withUser(session, async (tx) => {
    const { rows } = await sql<{
      id: string; patient_id: string; patient_name: string; mrn: string; provider_id: string; provider_name: string | null;
      credential: string | null; reason: string; created_at: Date; expires_at: Date; ended_at: Date | null;
      state: "active" | "ended" | "expired"; reads: string; review_outcome: "appropriate" | "inappropriate" | null;
      review_note: string | null; reviewed_at: Date | null; reviewed_by: string | null; reviewer_name: string | null;
    }>`
      select g.id, g.patient_id, pt.first_name || ' ' || pt.last_name as patient_name, pt.mrn,
             g.provider_id, u.full_name as provider_name, pr.credential, g.reason, g.created_at, g.expires_at, g.ended_at,
             ${STATE} as state,
             (select count(*) from public.audit_log a
               where a.patient_id = g.patient_id and a.actor_id = g.provider_id and a.action = 'read'
                 and a.occurred_at >= g.created_at and a.details ->> 'emergency_access' = g.id::text) as reads,
             g.review_outcome, g.review_note, g.reviewed_at, g.reviewed_by, r.full_name as reviewer_name
        from public.emergency_access_grants g
        join public.patients pt on pt.id = g.patient_id
        left join auth.users u on u.id = g.provider_id
        left join public.providers pr on pr.user_id = g.provider_id
        left join auth.users r on r.id = g.reviewed_by
       where (${opts.unreviewedOnly ?? false} = false or g.reviewed_at is null)
       order by g.created_at desc
       limit ${Math.min(Math.max(opts.limit ?? 200, 1), 500)}`.execute(tx);
    if (rows.length) {
      await recordRead(tx, { kind: "audit_trail", patientIds: [...new Set(rows.map((r) => r.patient_id))], recordIds: rows.map((r) => r.id), details: { view: "emergency_access" } });
    }
    return rows.map((r) => ({
      id: r.id,
      patient_id: r.patient_id,
      patient_name: r.patient_name,
      mrn: r.mrn,
      provider_id: r.provider_id,
      provider_name: r.provider_name ?? "Unknown provider",
      credential: r.credential,
      reason: r.reason,
      created_at: r.created_at,
      expires_at: r.expires_at,
      ended_at: r.ended_at,
      state: r.state,
      reads: Number(r.reads),
      review: { outcome: r.review_outcome, note: r.review_note, reviewed_at: r.reviewed_at, reviewed_by: r.reviewed_by, reviewer_name: r.reviewer_name },
    }));
  }, context);
}

/** The admin hub's count of grants nobody has reviewed yet. */
export async function countUnreviewedEmergencyGrants(session: Session, context: RequestContext): Promise<number> {
  requireAdmin(session);
  return withUser(session, async (tx) => {
    const row = await tx.selectFrom("emergency_access_grants").select((eb) => eb.fn.countAll<string>().as("n")).where("reviewed_at", "is", null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }, context);
}

/** POST /api/v1/admin/emergency-access/{id}/review (admin, aal2): records the outcome as the admin, now. On the trail. */
export async function reviewEmergencyGrant(
  session: Session,
  id: string,
  input: TReviewEmergencyAccessRequest,
  context: RequestContext,
): Promise<{ id: string; review: { outcome: string; note: string | null; reviewed_at: Date; reviewed_by: string } }> {
  requireAdmin(session);
  return withUser(session, async (tx) => {
    const row = await tx
      .updateTable("emergency_access_grants")
      .set({ review_outcome: input.outcome, review_note: input.note || null, reviewed_at: sql<Date>`now()`, reviewed_by: session.userId })
      .where("id", "=", id)
      .returning(["id", "review_outcome", "review_note", "reviewed_at", "reviewed_by"])
      .executeTakeFirst();
    if (!row) throw new NotFoundError("emergency access");
    return { id: row.id, review: { outcome: row.review_outcome!, note: row.review_note, reviewed_at: row.reviewed_at!, reviewed_by: row.reviewed_by! } };
  }, context);
}

/** "Who accessed my record": the emergency accesses to the caller's own record, with their reasons. */
export async function listMyEmergencyAccesses(session: Session, context: RequestContext): Promise<PatientEmergencyAccess[]> {
  if (session.role !== "patient") return [];
  return withUser(session, async (tx) => {
    const { rows } = await sql<PatientEmergencyAccess & { patient_id: string }>`
      select id, patient_id, provider_name, credential, reason, created_at, expires_at, ended_at from app.my_emergency_accesses()`.execute(tx);
    if (rows.length) {
      await recordRead(tx, { kind: "access_log", patientIds: [...new Set(rows.map((r) => r.patient_id))], recordIds: rows.map((r) => r.id), details: { view: "emergency_access" } });
    }
    return rows.map((r) => ({
      id: r.id,
      provider_name: r.provider_name ?? "Unknown provider",
      credential: r.credential,
      reason: r.reason,
      created_at: r.created_at,
      expires_at: r.expires_at,
      ended_at: r.ended_at,
    }));
  }, context);
}
