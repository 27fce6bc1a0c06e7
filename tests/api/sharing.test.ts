/**
 * Patient-controlled sharing links (issue #18, docs/sharing.md): a patient shares chosen
 * parts of their record; the recipient needs the link's token AND the 6-digit code; wrong
 * codes are throttled per address and lock the share; expiry and revocation take effect at
 * once; only the chosen parts come back; each view is audited and listed to the patient.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { call } from "../support/http";
import { withUser } from "@/core/db/with-user";
import * as sharesRoute from "@/app/api/v1/me/shares/route";
import * as shareRoute from "@/app/api/v1/me/shares/[id]/route";
import * as openRoute from "@/app/api/v1/shares/open/route";
import * as accessLogRoute from "@/app/api/v1/patients/[id]/access-log/route";

const tokenOf = (url: string) => url.split("#")[1];
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe.each(engines)("sharing links on %s", (engine) => {
  let t: TestDatabase;
  let doctor: TestUser, patientUser: TestUser, otherPatient: TestUser;
  let P: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    doctor = await createUser("provider");
    patientUser = await createUser("patient");
    otherPatient = await createUser("patient");
    P = await createPatient({ createdBy: doctor.id, userId: patientUser.id });
    const Q = await createPatient({ createdBy: doctor.id, userId: otherPatient.id });
    await serviceQuery(async (tx) => {
      for (const pid of [P, Q]) {
        const v = (await sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis)
          values (${pid}, ${doctor.id}, now() - interval '3 days', ${pid === P ? "Cough" : "Q-only complaint"}, 'Bronchitis') returning id`.execute(tx)).rows[0].id;
        await sql`insert into public.prescriptions (visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date)
          values (${v}, ${pid}, ${doctor.id}, 'Amoxicillin', '500 mg', 'three times daily', current_date)`.execute(tx);
        await sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values (${pid}, ${doctor.id}, 'heart_rate', 71, 'bpm', now())`.execute(tx);
      }
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  const create = (body: unknown, who = patientUser) => call(sharesRoute.POST, { token: who.accessToken, body });
  const openShare = (token: string, code: string, ip = "192.0.2.10") => call(openRoute.POST, { body: { token, code }, headers: { "x-carebase-client-ip": ip } });

  it("validates the share: parts, expiry at most 30 days, a label; only a patient shares, only their own record", async () => {
    expect((await create({ parts: [], expires_in_days: 7, recipient_label: "Dr. A" })).status).toBe(422);
    expect((await create({ parts: ["visits", "billing"], expires_in_days: 7, recipient_label: "Dr. A" })).status).toBe(422);
    expect((await create({ parts: ["visits"], expires_in_days: 31, recipient_label: "Dr. A" })).status).toBe(422);
    expect((await create({ parts: ["visits"], expires_in_days: 0, recipient_label: "Dr. A" })).status).toBe(422);
    expect((await create({ parts: ["visits"], expires_in_days: 7, recipient_label: "  " })).status).toBe(422);
    expect((await create({ parts: ["visits"], expires_in_days: 7, recipient_label: "Dr. A", patient_id: P })).status).toBe(400);
    expect((await create({ parts: ["visits"], expires_in_days: 7, recipient_label: "Dr. A" }, doctor)).status).toBe(403);
    // and the database agrees: nobody inserts a share for someone else's record
    const forged = await withUser(otherPatient.session, async (tx) =>
      sql`insert into public.patient_shares (patient_id, created_by, recipient_label, parts, token_hash, code_hash, expires_at)
          values (${P}, ${otherPatient.id}, 'x', array['visits'], ${randomBytes(32).toString("hex")}, ${randomBytes(32).toString("hex")}, now() + interval '1 day')`.execute(tx),
    ).then(() => "ok", (e) => (e as { code?: string }).code);
    expect(forged).toBe("42501");
  });

  it("a link plus its code opens only the chosen parts of that one record; each view is audited and listed to the patient", async () => {
    const r = await create({ parts: ["visits", "vitals"], expires_in_days: 7, recipient_label: "Dr. Outside, cardiology" });
    expect(r.status).toBe(201);
    expect(r.body.code).toMatch(/^\d{6}$/);
    expect(r.body.url).toMatch(/\/share#[A-Za-z0-9_-]{43}$/);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const token = tokenOf(r.body.url);
    // the database holds neither the token nor the code
    const stored = await serviceQuery(async (tx) => (await sql<{ token_hash: string; code_hash: string }>`select token_hash, code_hash from public.patient_shares where id = ${r.body.id}`.execute(tx)).rows[0]);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.code_hash).not.toContain(r.body.code);

    const v = await openShare(token, r.body.code);
    expect(v.status).toBe(200);
    expect(v.body.share).toMatchObject({ recipient_label: "Dr. Outside, cardiology", parts: ["visits", "vitals"] });
    expect(v.body.patient).toMatchObject({ first_name: "Pat" });
    expect(v.body.visits.map((x: { chief_complaint: string }) => x.chief_complaint)).toEqual(["Cough"]);
    expect(v.body.vitals).toHaveLength(1);
    expect(v.body.prescriptions).toBeUndefined();
    expect(v.body.documents).toBeUndefined();
    expect(JSON.stringify(v.body)).not.toContain("Q-only");
    expect(JSON.stringify(v.body)).not.toMatch(/mrn|allerg|insurance|address/i);

    const list = await call(sharesRoute.GET, { token: patientUser.accessToken });
    const mine = list.body.data.find((s: { id: string }) => s.id === r.body.id);
    expect(mine).toMatchObject({ state: "active", view_count: 1, parts: ["visits", "vitals"] });
    expect(mine.views).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toMatch(/token_hash|code_hash/);
    const log = await call(accessLogRoute.GET, { token: patientUser.accessToken, params: { id: P } });
    expect(log.status).toBe(200);
    expect(log.body.data.some((e: { record_kind: string; activity: string }) => e.record_kind === "patient_shares" && e.activity === "viewed")).toBe(true);
    // another patient sees none of it
    expect((await call(sharesRoute.GET, { token: otherPatient.accessToken })).body.data).toEqual([]);
  });

  it("the code is required: a wrong code is 422, the fifth wrong code locks the share for good (423)", async () => {
    const r = await create({ parts: ["prescriptions"], expires_in_days: 1, recipient_label: "Pharmacy" });
    const token = tokenOf(r.body.url);
    expect((await call(openRoute.POST, { body: { token } })).status).toBe(400);
    for (let i = 0; i < 4; i++) {
      const w = await openShare(token, wrong(r.body.code), `192.0.2.${20 + i}`);
      expect(w.status).toBe(422);
      expect(w.body.error.code).toBe("wrong_code");
    }
    const fifth = await openShare(token, wrong(r.body.code), "192.0.2.30");
    expect(fifth.status).toBe(423);
    // locked: even the right code no longer opens it
    const right = await openShare(token, r.body.code, "192.0.2.31");
    expect(right.status).toBe(423);
    expect(right.body).toEqual({ error: { code: "share_locked", message: expect.any(String) } });
    expect(JSON.stringify(right.body)).not.toContain("Amoxicillin");
  });

  it("wrong codes are throttled per address across shares (429)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await create({ parts: ["vitals"], expires_in_days: 2, recipient_label: `Lab ${i}` });
      for (let j = 0; j < 3; j++) statuses.push((await openShare(tokenOf(r.body.url), wrong(r.body.code), "198.51.100.99")).status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 422)).toBe(true);
    expect(statuses.slice(10)).toContain(429);
  });

  it("revoked or expired (without waiting: the clock on the row moved back), the link is a 404 like an unknown one", async () => {
    const a = await create({ parts: ["visits"], expires_in_days: 30, recipient_label: "Dr. Revoked" });
    const b = await create({ parts: ["visits"], expires_in_days: 3, recipient_label: "Dr. Expired" });
    expect((await openShare(tokenOf(a.body.url), a.body.code, "192.0.2.50")).status).toBe(200);
    expect((await call(shareRoute.DELETE, { token: otherPatient.accessToken, method: "DELETE", params: { id: a.body.id } })).status).toBe(404);
    expect((await call(shareRoute.DELETE, { token: patientUser.accessToken, method: "DELETE", params: { id: a.body.id } })).status).toBe(204);
    expect((await call(shareRoute.DELETE, { token: patientUser.accessToken, method: "DELETE", params: { id: a.body.id } })).status).toBe(404);
    const revoked = await openShare(tokenOf(a.body.url), a.body.code, "192.0.2.51");
    expect(revoked.status).toBe(404);

    await serviceQuery((tx) => sql`update public.patient_shares set created_at = created_at - interval '4 days', expires_at = expires_at - interval '4 days' where id = ${b.body.id}`.execute(tx));
    const expired = await openShare(tokenOf(b.body.url), b.body.code, "192.0.2.52");
    expect(expired.status).toBe(404);
    const unknown = await openShare(randomBytes(32).toString("base64url"), "123456", "192.0.2.53");
    expect(unknown.status).toBe(404);
    expect(expired.body).toEqual(unknown.body);
    expect(revoked.body).toEqual(unknown.body);
    // a revoked share cannot be revived
    const revived = await withUser(patientUser.session, async (tx) =>
      Number((await sql`update public.patient_shares set revoked_at = null where id = ${a.body.id}`.execute(tx)).numAffectedRows)).catch((e) => (e as { code?: string }).code);
    expect(revived).toBe(0);
    const list = (await call(sharesRoute.GET, { token: patientUser.accessToken })).body.data;
    expect(list.find((s: { id: string }) => s.id === a.body.id).state).toBe("revoked");
    expect(list.find((s: { id: string }) => s.id === b.body.id).state).toBe("expired");
  });
});
