/**
 * Notices to patients (issue #14), with mail delivered to a real SMTP server: appointment
 * booked, changed, cancelled, a new document, and the reminder the day before — sent once
 * per appointment even with two instances running the job; no detail in any of them; the
 * patient's opt-out stops notices but never security notices.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createPatient, createUser, serviceQuery, TEST_PASSWORD, type TestUser } from "../../../tests/support/seed";
import { deliverAll, useClinicMail } from "../../../tests/support/mail";
import { call, STRONG_PASSWORD } from "../../../tests/auth/support";
import * as noticesRoute from "@/app/api/v1/me/notices/route";
import * as passwordRoute from "@/app/api/v1/auth/password/route";
import { withUser } from "../db/with-user";
import { bookAppointment, cancelAppointment, requestAppointment, rescheduleAppointment } from "../clinical/appointments";
import { notifyPatient } from "./notify-patient";
import { sendAppointmentReminders } from "./send-appointment-reminders";

const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
const outbox = () =>
  serviceQuery(async (tx) => (await sql<{ kind: string; to_address: string }>`select kind, to_address from app.mail_outbox order by created_at, kind`.execute(tx)).rows);

describe.each(engines)("notices to patients, %s", (engine) => {
  let t: TestDatabase;
  let doc: TestUser;
  let patientUser: TestUser;
  let patientId: string;
  const mail = useClinicMail();
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await serviceQuery((tx) => sql`delete from app.mail_outbox`.execute(tx));
    doc = await createUser("provider");
    patientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: doc.id, userId: patientUser.id, firstName: "Rosalind", lastName: "Quetzal" });
  });

  const deliver = (workers = 1) => deliverAll(mail.smtp, { workers, batch: 2 });
  const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)?.text;

  it("booking, moving and cancelling tell the patient, with no detail; a patient's own request tells nobody", async () => {
    const slot = { starts_at: hoursFromNow(50), ends_at: hoursFromNow(50.5), reason: "Oncology follow-up" };
    const booked = await bookAppointment(doc.session, patientId, slot, {});
    await rescheduleAppointment(doc.session, booked.id, { starts_at: hoursFromNow(52), ends_at: hoursFromNow(52.5) }, {});
    await cancelAppointment(doc.session, booked.id, { reason: "Doctor away" }, {});
    await requestAppointment(patientUser.session, patientId, { starts_at: hoursFromNow(60), ends_at: hoursFromNow(60.5), reason: "Oncology follow-up", provider_id: doc.id }, {});
    const mails = await deliver();
    expect(mails.map(to)).toEqual([patientUser.email, patientUser.email, patientUser.email]);
    // (the pooled transport's two connections may deliver out of order)
    expect(mails.map((m) => m.subject).sort()).toEqual(
      ["An appointment was booked at Riverside Clinic", "An appointment was changed at Riverside Clinic", "An appointment was cancelled at Riverside Clinic"].sort(),
    );
    for (const m of mails) {
      const all = `${m.subject}\n${m.text}\n${m.html}`.toLowerCase();
      for (const phi of ["rosalind", "quetzal", "oncology", "doctor away", doc.email]) expect(all).not.toContain(phi.toLowerCase());
      expect(m.text).toContain("https://portal.clinic.test/sign-in");
    }
  });

  it("a change that rolls back leaves no notice", async () => {
    await expect(
      withUser(doc.session, async (tx) => {
        await notifyPatient(tx, patientId, "document_added");
        throw new Error("the upload failed");
      }),
    ).rejects.toThrow("the upload failed");
    expect(await outbox()).toEqual([]);
  });

  it("someone who cannot read the record cannot notify its patient", async () => {
    const stranger = await createUser("provider");
    await expect(withUser(stranger.session, (tx) => notifyPatient(tx, patientId, "document_added"))).rejects.toMatchObject({ code: "42501" });
    expect(await outbox()).toEqual([]);
  });

  it("a patient who opts out gets no notices and no reminders, but still every security notice", async () => {
    const got = await call(noticesRoute.GET, "/api/v1/me/notices", { token: patientUser.accessToken });
    expect(got.body).toEqual({ mail_notices: true });
    const off = await call(noticesRoute.PUT, "/api/v1/me/notices", { method: "PUT", token: patientUser.accessToken, body: { mail_notices: false } });
    expect(off.status).toBe(200);
    expect((await call(noticesRoute.GET, "/api/v1/me/notices", { token: patientUser.accessToken })).body).toEqual({ mail_notices: false });
    expect((await call(noticesRoute.PUT, "/api/v1/me/notices", { method: "PUT", token: patientUser.accessToken, body: { mail_notices: "no" } })).status).toBe(400);

    await bookAppointment(doc.session, patientId, { starts_at: hoursFromNow(20), ends_at: hoursFromNow(20.5) }, {});
    expect(await withUser(doc.session, (tx) => notifyPatient(tx, patientId, "document_added"))).toBeNull();
    expect(await sendAppointmentReminders()).toEqual({ queued: 0 });
    const changed = await call(passwordRoute.POST, "/api/v1/auth/password", { token: patientUser.accessToken, body: { current_password: TEST_PASSWORD, new_password: STRONG_PASSWORD } });
    expect(changed.status).toBe(200);
    expect(await outbox()).toEqual([{ kind: "password_changed", to_address: patientUser.email }]);
    const mails = await deliver();
    expect(mails.map((m) => m.subject)).toEqual(["Your Riverside Clinic password was changed"]);
  });

  it("the reminder goes once per appointment, even with two instances running the job and two workers sending", async () => {
    await serviceQuery((tx) =>
      sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, reason)
          values (${patientId}, ${doc.id}, now() + interval '20 hours', now() + interval '20 hours 30 minutes', 'confirmed', 'Oncology follow-up'),
                 -- too far ahead, too close, and not confirmed: no reminder (yet)
                 (${patientId}, ${doc.id}, now() + interval '30 hours', now() + interval '30 hours 30 minutes', 'confirmed', null),
                 (${patientId}, ${doc.id}, now() + interval '30 minutes', now() + interval '50 minutes', 'confirmed', null),
                 (${patientId}, ${doc.id}, now() + interval '21 hours', now() + interval '21 hours 30 minutes', 'requested', null)`.execute(tx),
    );
    const rounds = await Promise.all([sendAppointmentReminders(), sendAppointmentReminders()]);
    expect(rounds.reduce((n, r) => n + r.queued, 0)).toBe(1);
    expect(await sendAppointmentReminders()).toEqual({ queued: 0 });
    const mails = await deliver(2);
    expect(mails.map(to)).toEqual([patientUser.email]);
    expect(mails[0].subject).toBe("Appointment reminder from Riverside Clinic");
    expect(`${mails[0].text}${mails[0].html}`.toLowerCase()).not.toContain("oncology");

    // moved to another time within the day: reminded again, once
    await serviceQuery((tx) => sql`update public.appointments set starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' where reason = 'Oncology follow-up' and patient_id = ${patientId}`.execute(tx));
    expect(await sendAppointmentReminders()).toEqual({ queued: 1 });
    expect(await sendAppointmentReminders()).toEqual({ queued: 0 });
  });
});
