import { sql } from "kysely";
import type { Tx } from "../db/with-user";
import { prepareMail } from "./enqueue-mail";
import { mailConfig, type MailConfig } from "./mail-config";
import type { NoticeKind } from "./templates";

/** Notices a change made inside a user's transaction can cause (the reminder is the job's own). */
export type PatientNotice = Exclude<NoticeKind, "appointment_reminder">;

/**
 * Tells a patient that something in their record changed (an appointment booked, changed or
 * cancelled, a new document), inside the transaction of the change (withUser): the mail
 * exists exactly when the change does. The recipient is chosen by the database
 * (app.enqueue_patient_notice, 0630): the patient's own active portal account, unless it
 * opted out of notices or made the change itself; a caller who cannot read the record is
 * refused. The mail says only that something changed (templates.ts). Returns the mail's id,
 * or null when nobody is told.
 */
export async function notifyPatient(tx: Tx, patientId: string, kind: PatientNotice, config: MailConfig = mailConfig()): Promise<string | null> {
  const m = prepareMail({ kind, to: "", params: {} }, config);
  const { rows } = await sql<{ id: string | null }>`
    select app.enqueue_patient_notice(${patientId}::uuid, ${kind}, ${m.subject}, ${m.bodySealed}, ${m.status}) as id`.execute(tx);
  return rows[0]?.id ?? null;
}
