import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { POST as registerDevice, GET as listDevices } from "@/app/api/v1/devices/route";
import { DELETE as revokeDevice } from "@/app/api/v1/devices/[id]/route";
import { POST as ingest } from "@/app/api/v1/vitals/route";
import { withDevice } from "@/core/vitals/with-device";

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

function sample(i: number, over: Partial<{ metric: string; value: number; unit: string; recorded_at: string }> = {}) {
  return { metric: "heart_rate", value: 60 + (i % 40), unit: "bpm", recorded_at: new Date(Date.now() - 48 * 3600_000 + i * 1000).toISOString(), ...over };
}

async function send(token: string, samples: unknown[]) {
  const res = await ingest(new Request("http://localhost/api/v1/vitals", { method: "POST", headers: bearer(token), body: JSON.stringify({ samples }) }));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; fields?: Record<string, string> } } };
}

async function countVitals(patientId: string): Promise<number> {
  return serviceQuery(async (tx) => {
    const r = await tx.selectFrom("vitals").select((eb) => eb.fn.countAll<string>().as("n")).where("patient_id", "=", patientId).executeTakeFirstOrThrow();
    return Number(r.n);
  });
}

describe.each(engines)("wearable devices and vitals ingestion on %s", (engine) => {
  let t: TestDatabase;
  let provider: TestUser;
  let patient: TestUser;
  let patientId: string;
  let otherPatientId: string;
  let token: string;
  let deviceId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    provider = await createUser("provider");
    patient = await createUser("patient");
    patientId = await createPatient({ createdBy: provider.id, userId: patient.id });
    otherPatientId = await createPatient({ createdBy: provider.id });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("lets a patient register a device and shows the token once (only its hash is stored)", async () => {
    const res = await registerDevice(new Request("http://localhost/api/v1/devices", { method: "POST", headers: bearer(patient.accessToken), body: JSON.stringify({ name: "Wrist watch" }) }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { device_id: string; token: string };
    ({ token, device_id: deviceId } = body);
    expect(token).toMatch(/^cbd_[A-Za-z0-9_-]{40,}$/);
    const stored = await serviceQuery((tx) => tx.selectFrom("devices").select(["token_hash", "patient_id"]).where("id", "=", deviceId).executeTakeFirstOrThrow());
    expect(stored.patient_id).toBe(patientId);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.token_hash).not.toContain(token);

    const list = await listDevices(new Request("http://localhost/api/v1/devices", { headers: bearer(patient.accessToken) }));
    const listed = (await list.json()) as { data: Record<string, unknown>[] };
    expect(listed.data.map((d) => d.id)).toEqual([deviceId]);
    expect(listed.data[0]).not.toHaveProperty("token_hash");
  });

  it("refuses device registration by a provider", async () => {
    const res = await registerDevice(new Request("http://localhost/api/v1/devices", { method: "POST", headers: bearer(provider.accessToken), body: JSON.stringify({ name: "x" }) }));
    expect(res.status).toBe(403);
  });

  it("accepts a batch, and counts re-sent samples as duplicates", async () => {
    const batch = Array.from({ length: 500 }, (_, i) => sample(i));
    const first = await send(token, batch);
    expect(first).toMatchObject({ status: 202, body: { accepted: 500, duplicates: 0 } });
    const again = await send(token, [...batch.slice(0, 10), sample(10_000, { metric: "steps", value: 120, unit: "count" })]);
    expect(again).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 10 } });
    expect(await countVitals(patientId)).toBe(501);
  });

  it("stores nothing of a batch with one bad sample and names it (422)", async () => {
    const before = await countVitals(patientId);
    const cases: [unknown, string][] = [
      [sample(3, { value: 400 }), "samples.3.value"],
      [sample(3, { metric: "blood_sugar", unit: "mg/dL" }), "samples.3.metric"],
      [sample(3, { unit: "kg" }), "samples.3.unit"],
      [sample(3, { recorded_at: new Date(Date.now() + 10 * 60_000).toISOString() }), "samples.3.recorded_at"],
      [sample(3, { recorded_at: "yesterday" }), "samples.3.recorded_at"],
      [sample(3, { metric: "steps", unit: "count", value: 1.5 }), "samples.3.value"],
    ];
    for (const [bad, field] of cases) {
      const batch = [sample(20_001), sample(20_002), sample(20_003), bad, sample(20_005)];
      const r = await send(token, batch);
      expect(r.status, field).toBe(422);
      expect(Object.keys(r.body.error?.fields ?? {})).toEqual([field]);
      expect(r.body.error?.message).toContain("Sample 3");
    }
    const wrongType = await send(token, [sample(1), { ...sample(2), value: "70" }]);
    expect(wrongType.status).toBe(400);
    expect(Object.keys(wrongType.body.error?.fields ?? {})).toContain("samples.1.value");
    const tooMany = await send(token, Array.from({ length: 1001 }, (_, i) => sample(30_000 + i)));
    expect(tooMany.status).toBe(413);
    expect(await countVitals(patientId)).toBe(before);
  });

  it("accepts a sample up to 5 minutes in the future", async () => {
    const r = await send(token, [sample(0, { recorded_at: new Date(Date.now() + 4 * 60_000).toISOString(), metric: "spo2", unit: "%", value: 97 })]);
    expect(r).toMatchObject({ status: 202, body: { accepted: 1 } });
  });

  it("answers 401 to an unknown token, a user's access token, and a revoked device", async () => {
    expect((await send("cbd_unknown-token-000000000000000000000000000", [sample(1)])).status).toBe(401);
    expect((await send(patient.accessToken, [sample(1)])).status).toBe(401);
    const noAuth = await ingest(new Request("http://localhost/api/v1/vitals", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
    expect(noAuth.status).toBe(401);

    // Only the owner may revoke: a provider on the care team gets 404.
    const byProvider = await revokeDevice(new Request(`http://localhost/api/v1/devices/${deviceId}`, { method: "DELETE", headers: bearer(provider.accessToken) }), { params: Promise.resolve({ id: deviceId }) });
    expect(byProvider.status).toBe(404);
    const res = await revokeDevice(new Request(`http://localhost/api/v1/devices/${deviceId}`, { method: "DELETE", headers: bearer(patient.accessToken) }), { params: Promise.resolve({ id: deviceId }) });
    expect(res.status).toBe(204);
    const r = await send(token, [sample(40_000)]);
    expect(r.status).toBe(401);
    expect(r.body.error?.code).toBe("invalid_device_token");
  });

  it("lets the database keep a device to its own patient's vitals, and read nothing", async () => {
    const reg = await registerDevice(new Request("http://localhost/api/v1/devices", { method: "POST", headers: bearer(patient.accessToken), body: JSON.stringify({ name: "Scale" }) }));
    const { token: scaleToken, device_id: scaleId } = (await reg.json()) as { token: string; device_id: string };
    // Straight SQL inside the device's transaction, bypassing the application's checks.
    await expect(
      withDevice(scaleToken, (tx) =>
        sql`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
            values (${otherPatientId}, ${scaleId}, 'weight', 70, 'kg', now())`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      withDevice(scaleToken, (tx) =>
        sql`insert into public.vitals (patient_id, device_id, recorded_by, metric, value, unit, recorded_at)
            values (${patientId}, ${scaleId}, ${patient.id}, 'weight', 70, 'kg', now())`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    const seen = await withDevice(scaleToken, async (tx) => ({
      vitals: (await sql`select id from public.vitals`.execute(tx)).rows.length,
      patients: (await sql`select id from public.patients`.execute(tx)).rows.length,
      devices: (await sql`select id from public.devices`.execute(tx)).rows.length,
    }));
    expect(seen).toEqual({ vitals: 0, patients: 0, devices: 0 });
    const ok = await send(scaleToken, [{ metric: "weight", value: 71.2, unit: "kg", recorded_at: new Date().toISOString() }]);
    expect(ok).toMatchObject({ status: 202, body: { accepted: 1 } });
  });
});
