/**
 * Provider scheduling (issue #15, item 4; docs/scheduling.md): providers book confirmed
 * appointments, reschedule and cancel with a reason; the database refuses double booking of
 * a provider (409 appointment_conflict), also for two bookings racing each other; the Today
 * view's day follows the clinic time zone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, sql, type TestUser } from "../support/seed";
import { call } from "../support/http";
import * as appointmentsRoute from "@/app/api/v1/patients/[id]/appointments/route";
import * as appointmentRoute from "@/app/api/v1/appointments/[id]/route";
import { bookAppointment, listMyAppointmentsForDay } from "@/core/clinical/appointments";

const expectError = (r: { status: number; body: { error?: { code?: string; message?: string } } }, status: number, code?: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(typeof r.body.error?.message).toBe("string");
  if (code) expect(r.body.error?.code).toBe(code);
};

/** A slot on 1 March 2031 + `day` days, at hh:mm UTC, lasting `minutes`. */
const slot = (day: number, hh: number, mm = 0, minutes = 30) => {
  const s = new Date(Date.UTC(2031, 2, 1 + day, hh, mm));
  return { starts_at: s.toISOString(), ends_at: new Date(s.getTime() + minutes * 60_000).toISOString() };
};

describe.each(engines)("scheduling API on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser, nurse: TestUser, outsider: TestUser, patientUser: TestUser, otherPatientUser: TestUser, admin: TestUser;
  let P: string, P2: string, Q: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    admin = await createUser("admin");
    attending = await createUser("provider");
    nurse = await createUser("provider", { credential: "registered_nurse" });
    outsider = await createUser("provider");
    patientUser = await createUser("patient");
    otherPatientUser = await createUser("patient");
    P = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    P2 = await createPatient({ createdBy: attending.id });
    Q = await createPatient({ createdBy: outsider.id, userId: otherPatientUser.id });
    await addToCareTeam(P, nurse.id, "nurse");
  });
  afterAll(async () => {
    await t?.drop();
  });

  const book = (user: TestUser, patient: string, body: Record<string, unknown>) =>
    call(appointmentsRoute.POST, { token: user.accessToken, params: { id: patient }, body });
  const patch = (user: TestUser, id: string, body: Record<string, unknown>) =>
    call(appointmentRoute.PATCH, { token: user.accessToken, method: "PATCH", params: { id }, body });

  it("a provider books for a patient: confirmed at once, with themself or a named team provider", async () => {
    const own = await book(attending, P, { ...slot(0, 9), reason: "Blood pressure review" });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ status: "confirmed", provider_id: attending.id, patient_id: P, reason: "Blood pressure review", cancel_reason: null });
    // the nurse books the attending's time
    const forAttending = await book(nurse, P, { ...slot(0, 10), provider_id: attending.id });
    expect(forAttending.status).toBe(201);
    expect(forAttending.body).toMatchObject({ status: "confirmed", provider_id: attending.id });
    // a patient still only requests (provider defaults to the attending)
    const requested = await book(patientUser, P, slot(0, 9));
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ status: "requested", provider_id: attending.id });
  });

  it("refuses bookings outside the care team and by anyone who cannot chart", async () => {
    expectError(await book(attending, P, { ...slot(1, 9), provider_id: outsider.id }), 422, "invalid_reference");
    expectError(await book(outsider, P, slot(1, 9)), 404, "not_found");
    expectError(await book(patientUser, Q, slot(1, 9)), 404, "not_found");
    expectError(await book(admin, P, { ...slot(1, 9), provider_id: attending.id }), 403);
    expectError(await book(attending, P, { starts_at: slot(1, 10).ends_at, ends_at: slot(1, 10).starts_at }), 422);
  });

  it("a provider is never double-booked: 409 appointment_conflict, also across patients and on confirm", async () => {
    expect((await book(attending, P, slot(2, 9, 0, 60))).status).toBe(201);
    const clash = await book(attending, P2, slot(2, 9, 30, 30));
    expectError(clash, 409, "appointment_conflict");
    expect(clash.body.error.message).toMatch(/already has a confirmed appointment/);
    // back to back is fine
    expect((await book(attending, P2, slot(2, 10, 0, 30))).status).toBe(201);
    // another provider at the same time is fine
    expect((await book(nurse, P, slot(2, 9, 0, 60))).status).toBe(201);
    // a request may overlap (it holds no slot); confirming it may not
    const req = await book(patientUser, P, { ...slot(2, 9, 15, 15), provider_id: attending.id });
    expect(req.status).toBe(201);
    expectError(await patch(attending, req.body.id, { status: "confirmed" }), 409, "appointment_conflict");
    // nothing half-written: the refused booking left no row
    const n = await serviceQuery(async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from public.appointments where provider_id = ${attending.id} and starts_at = ${slot(2, 9, 30).starts_at}::timestamptz`.execute(tx)).rows[0].n);
    expect(n).toBe(0);
  });

  it("two bookings racing for one slot: exactly one wins", async () => {
    const results = await Promise.all([book(attending, P, slot(3, 14, 0, 45)), book(nurse, P, { ...slot(3, 14, 15, 45), provider_id: attending.id })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe("appointment_conflict");
  });

  it("reschedules an open appointment; a moved slot is checked for overlap too", async () => {
    const a = await book(attending, P, slot(4, 9));
    const b = await book(attending, P, slot(4, 11));
    const moved = await patch(nurse, a.body.id, slot(4, 13));
    expect(moved.status).toBe(200);
    expect(new Date(moved.body.starts_at).toISOString()).toBe(slot(4, 13).starts_at);
    expect(moved.body.status).toBe("confirmed");
    expectError(await patch(attending, a.body.id, slot(4, 11, 15)), 409, "appointment_conflict");
    // the patient cannot move it; the other patient cannot see it
    expectError(await patch(patientUser, b.body.id, slot(4, 15)), 403);
    expectError(await patch(otherPatientUser, b.body.id, slot(4, 15)), 404);
    // status and time together, or a half-given time, are refused
    expectError(await patch(attending, b.body.id, { status: "completed", ...slot(4, 15) }), 422);
    expectError(await patch(attending, b.body.id, { starts_at: slot(4, 15).starts_at }), 422);
    // a cancelled appointment does not move
    expect((await patch(attending, b.body.id, { status: "cancelled", reason: "Provider ill" })).status).toBe(200);
    expectError(await patch(attending, b.body.id, slot(4, 16)), 422);
  });

  it("cancelling: staff give a reason, who and when are stamped, and the slot is free again", async () => {
    const a = await book(attending, P, slot(5, 9));
    expectError(await patch(attending, a.body.id, { status: "cancelled" }), 422);
    expectError(await patch(attending, a.body.id, { status: "cancelled", reason: "   " }), 422);
    const cancelled = await patch(attending, a.body.id, { status: "cancelled", reason: "Clinic closed for training" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", cancel_reason: "Clinic closed for training" });
    expect(cancelled.body.cancelled_at).toBeTruthy();
    const stamp = await serviceQuery(async (tx) =>
      (await sql<{ cancelled_by: string }>`select cancelled_by from public.appointments where id = ${a.body.id}`.execute(tx)).rows[0]);
    expect(stamp.cancelled_by).toBe(attending.id);
    // the slot is free again
    expect((await book(attending, P2, slot(5, 9))).status).toBe(201);
    // a patient cancels their own without a reason (as before) or with one
    const own = await book(attending, P, slot(5, 11));
    expect((await patch(patientUser, own.body.id, { status: "cancelled", reason: "Feeling better" })).body).toMatchObject({ status: "cancelled", cancel_reason: "Feeling better" });
    const own2 = await book(attending, P, slot(5, 12));
    expect((await patch(patientUser, own2.body.id, { status: "cancelled" })).status).toBe(200);
  });

  it("the database refuses a staff cancel without a reason and forged cancel stamps", async () => {
    const a = await book(attending, P, slot(6, 9));
    const { withUser } = await import("@/core/db/with-user");
    const tryAs = (q: ReturnType<typeof sql>) =>
      withUser(attending.session, (tx) => q.execute(tx)).then(() => "ok", (e: { code?: string }) => e.code ?? "error");
    expect(await tryAs(sql`update public.appointments set status = 'cancelled' where id = ${a.body.id}`)).toBe("23514");
    expect(await tryAs(sql`update public.appointments set cancelled_by = ${nurse.id} where id = ${a.body.id}`)).toBe("42501");
    expect(await tryAs(sql`update public.appointments set cancel_reason = 'x' where id = ${a.body.id}`)).toBe("23514");
  });

  it("the Today view: the provider's own appointments on the clinic day, in the clinic time zone", async () => {
    const doc = await createUser("provider");
    const pt = await createPatient({ createdBy: doc.id });
    // 10 March 2030 is the day New York moves to daylight time: the clinic day runs
    // 05:00Z (midnight EST) to 04:00Z next day (midnight EDT), 23 hours.
    const at = (iso: string, minutes = 15) => ({ starts_at: iso, ends_at: new Date(Date.parse(iso) + minutes * 60_000).toISOString() });
    const ctx = {};
    const mk = (iso: string) => bookAppointment(doc.session, pt, { ...at(iso), reason: iso }, ctx);
    await mk("2030-03-10T04:40:00.000Z"); // 9 March, 23:40 EST: the day before
    await mk("2030-03-10T05:00:00.000Z"); // 00:00 EST: first minute of the day
    await mk("2030-03-11T03:30:00.000Z"); // 23:30 EDT: still 10 March
    await mk("2030-03-11T04:00:00.000Z"); // 00:00 EDT, 11 March: the next day
    // someone else's appointment that day is not on this provider's list
    await bookAppointment(attending.session, P, at("2030-03-10T15:00:00.000Z"), ctx);

    const today = await listMyAppointmentsForDay(doc.session, ctx, new Date("2030-03-10T15:00:00Z"), "America/New_York");
    expect(today.date).toBe("2030-03-10");
    expect(today.appointments.map((a) => a.reason)).toEqual(["2030-03-10T05:00:00.000Z", "2030-03-11T03:30:00.000Z"]);
    expect(today.appointments[0].patient_name).toMatch(/\S+ \S+/);

    // the same instants in Kolkata (UTC+5:30): 10 March runs 2030-03-09T18:30Z to 2030-03-10T18:30Z
    const kolkata = await listMyAppointmentsForDay(doc.session, ctx, new Date("2030-03-10T15:00:00Z"), "Asia/Kolkata");
    expect(kolkata.date).toBe("2030-03-10");
    expect(kolkata.appointments.map((a) => a.reason)).toEqual(["2030-03-10T04:40:00.000Z", "2030-03-10T05:00:00.000Z"]);
    // a cancelled appointment drops off the day
    const cancelledId = kolkata.appointments[0].id;
    await call(appointmentRoute.PATCH, { token: doc.accessToken, method: "PATCH", params: { id: cancelledId }, body: { status: "cancelled", reason: "Moved to telehealth" } });
    const after = await listMyAppointmentsForDay(doc.session, ctx, new Date("2030-03-10T15:00:00Z"), "Asia/Kolkata");
    expect(after.appointments.map((a) => a.reason)).toEqual(["2030-03-10T05:00:00.000Z"]);
  });
});
