import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { NotFoundError } from "../errors";
import type { CallRecord, CallRole, CallState } from "./call.types";
import { iceServersFor } from "./ice-servers";

const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

/** The caller's part in an appointment's call, or null (then it is not_found for them). */
export async function myCallRole(tx: Tx, appointmentId: string): Promise<CallRole | null> {
  const { rows } = await sql<{ role: CallRole | null }>`select app.my_call_role(${appointmentId}::uuid) as role`.execute(tx);
  return rows[0]?.role ?? null;
}

/** Inside the caller's transaction: the appointment's call as they may see it (audited read). */
export async function readCallState(tx: Tx, session: Session, appointmentId: string): Promise<CallState> {
  const role = await myCallRole(tx, appointmentId);
  if (!role) throw new NotFoundError("appointment");
  const appt = (
    await sql<{ starts_at: Date; ends_at: Date; status: string; patient_id: string; provider_id: string }>`
      select starts_at, ends_at, status, patient_id, provider_id from public.appointments where id = ${appointmentId}`.execute(tx)
  ).rows[0];
  if (!appt) throw new NotFoundError("appointment");
  const row = (
    await sql<CallRecord & { started_at: Date; ended_at: Date | null }>`
      select id, started_at, ended_at, admitted::text[] as admitted, joined::text[] as joined, members::text[] as members, visit_id
        from public.telehealth_calls where appointment_id = ${appointmentId}
       order by (ended_at is null) desc, started_at desc limit 1`.execute(tx)
  ).rows[0];
  await recordRead(tx, {
    kind: "appointments",
    patientIds: [appt.patient_id],
    recordIds: [appointmentId],
    details: { telehealth: "call_state" },
  });
  const { iceServers, expiresAt } = iceServersFor(session.userId);
  return {
    appointment_id: appointmentId,
    topic: `appointment:${appointmentId}:call`,
    role,
    user_id: session.userId,
    appointment: { starts_at: iso(appt.starts_at)!, ends_at: iso(appt.ends_at)!, status: appt.status, patient_id: appt.patient_id, provider_id: appt.provider_id },
    call: row ? { ...row, started_at: iso(row.started_at)!, ended_at: iso(row.ended_at) } : null,
    ice_servers: iceServers,
    ice_expires_at: iso(expiresAt),
  };
}

/**
 * GET /api/v1/appointments/{id}/call: the caller's role, the call, and ICE servers with TURN
 * credentials minted for this caller now. Anyone who may not join gets not_found.
 */
export async function getCall(session: Session, appointmentId: string, context: RequestContext = {}): Promise<CallState> {
  return withUser(session, (tx) => readCallState(tx, session, appointmentId), context);
}
