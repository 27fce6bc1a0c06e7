import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { ConflictError } from "../errors";
import { mapCallErrors } from "./call-errors";
import type { CallState } from "./call.types";
import { readCallState } from "./get-call";

const hhmm = (d: Date) => d.toISOString().slice(11, 16);

/**
 * The provider ends the call: it is closed (everyone's page is told 'ended'), the visit is
 * recorded in the chart as a telehealth encounter (start, end, participants) under the
 * visits' own policies, linked to the call, and the appointment is completed. All in one
 * transaction, all on the audit trail. No media is recorded anywhere. Ending a call that has
 * already ended answers its state again (a retry whose first answer was lost), without a
 * second visit.
 */
export async function endCall(session: Session, appointmentId: string, context: RequestContext = {}): Promise<CallState> {
  return mapCallErrors(
    withUser(
      session,
      async (tx) => {
        const ended = (
          await sql<{ id: string; patient_id: string; started_at: Date; ended_at: Date; joined: string[] }>`
            select id, patient_id, started_at, ended_at, joined::text[] as joined from app.end_call(${appointmentId}::uuid)`.execute(tx)
        ).rows[0];
        if (!ended) {
          // a retried end (the first answer was lost): the call is over and recorded, say so again
          const state = await readCallState(tx, session, appointmentId);
          if (state.call?.ended_at && state.call.visit_id) return state;
          throw new ConflictError("The video visit has not started yet.", "call_not_started");
        }
        const appt = (await sql<{ reason: string | null }>`select reason from public.appointments where id = ${appointmentId}`.execute(tx)).rows[0];
        const names = (
          await sql<{ user_id: string; full_name: string }>`
            select user_id::text, full_name from app.call_participant_names(${appointmentId}::uuid, ${ended.joined}::uuid[])`.execute(tx)
        ).rows;
        const minutes = Math.max(1, Math.round((ended.ended_at.getTime() - ended.started_at.getTime()) / 60_000));
        const notes =
          `Telehealth video visit, ${hhmm(ended.started_at)}–${hhmm(ended.ended_at)} UTC (${minutes} min). ` +
          `Participants: ${names.map((n) => n.full_name).join(", ") || "none"}. No audio or video was recorded.`;
        const visit = (
          await sql<{ id: string }>`
            insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, notes, visit_type)
            values (${ended.patient_id}, ${session.userId}, ${ended.started_at}, ${(appt?.reason ?? "").trim() || "Video visit"}, ${notes}, 'telehealth')
            returning id`.execute(tx)
        ).rows[0];
        await sql`update public.telehealth_calls set visit_id = ${visit.id} where id = ${ended.id}`.execute(tx);
        await sql`update public.appointments set status = 'completed' where id = ${appointmentId} and status = 'confirmed'`.execute(tx);
        return readCallState(tx, session, appointmentId);
      },
      context,
    ),
  );
}
