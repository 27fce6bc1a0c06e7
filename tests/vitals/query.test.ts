import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { GET } from "@/app/api/v1/patients/[id]/vitals/route";
import { bucketFor } from "@/core/vitals/get-vitals";

const HOUR = 3600_000;

describe.each(engines)("GET /api/v1/patients/{id}/vitals on %s", (engine) => {
  let t: TestDatabase;
  let provider: TestUser;
  let outsider: TestUser;
  let patient: TestUser;
  let patientId: string;
  const now = Date.now();

  async function get(u: TestUser, id: string, query: string) {
    const res = await GET(new Request(`http://localhost/api/v1/patients/${id}/vitals?${query}`, { headers: { authorization: `Bearer ${u.accessToken}` } }), {
      params: Promise.resolve({ id }),
    });
    return { status: res.status, body: (await res.json()) as { bucket_seconds: number | null; data: Record<string, unknown>[] } };
  }

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    provider = await createUser("provider");
    outsider = await createUser("provider");
    patient = await createUser("patient");
    patientId = await createPatient({ createdBy: provider.id, userId: patient.id });
    // One heart-rate sample a minute for two days (2,880 samples), and 100 step counts.
    await serviceQuery(async (tx) => {
      const rows = Array.from({ length: 2880 }, (_, i) => ({
        patient_id: patientId, recorded_by: provider.id, metric: "heart_rate" as const, value: 60 + (i % 30), unit: "bpm", recorded_at: new Date(now - 48 * HOUR + i * 60_000),
      }));
      for (let i = 0; i < rows.length; i += 1000) await tx.insertInto("vitals").values(rows.slice(i, i + 1000)).execute();
      await tx
        .insertInto("vitals")
        .values(Array.from({ length: 100 }, (_, i) => ({ patient_id: patientId, recorded_by: provider.id, metric: "steps", value: 10, unit: "count", recorded_at: new Date(now - HOUR + i * 30_000) })))
        .execute();
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("returns raw samples when they fit the point budget", async () => {
    const from = new Date(now - 2 * HOUR).toISOString();
    const r = await get(patient, patientId, `metric=heart_rate&from=${encodeURIComponent(from)}`);
    expect(r.status).toBe(200);
    expect(r.body.bucket_seconds).toBeNull();
    expect(r.body.data.length).toBeGreaterThan(100);
    expect(r.body.data.length).toBeLessThanOrEqual(120);
    expect(r.body.data[0]).toMatchObject({ metric: "heart_rate", unit: "bpm" });
  });

  it("downsamples long ranges on the server (never more than 500 points per series)", async () => {
    const from = new Date(now - 47 * HOUR).toISOString();
    const r = await get(provider, patientId, `metric=heart_rate,steps&from=${encodeURIComponent(from)}`);
    expect(r.status).toBe(200);
    expect(r.body.bucket_seconds).toBe(bucketFor(47 * 3600));
    const hr = r.body.data.filter((d) => d.metric === "heart_rate");
    expect(hr.length).toBeGreaterThan(100);
    expect(hr.length).toBeLessThanOrEqual(500);
    for (const b of hr) expect(Number(b.min)).toBeLessThanOrEqual(Number(b.avg));
    const steps = r.body.data.filter((d) => d.metric === "steps");
    expect(steps.reduce((s, b) => s + Number(b.sum), 0)).toBe(1000);
    // A bucket that is too fine for the range is widened.
    const fine = await get(provider, patientId, `metric=heart_rate&from=${encodeURIComponent(from)}&bucket=1m`);
    expect(fine.body.data.length).toBeLessThanOrEqual(500);
    const explicit = await get(provider, patientId, `metric=heart_rate&from=${encodeURIComponent(from)}&bucket=1h`);
    expect(explicit.body.bucket_seconds).toBe(3600);
    expect(explicit.body.data.length).toBeLessThanOrEqual(48);
  });

  it("answers 404 to someone off the care team, 400 to bad parameters, and audits reads", async () => {
    expect((await get(outsider, patientId, "")).status).toBe(404);
    expect((await get(provider, patientId, "metric=blood_sugar")).status).toBe(422);
    expect((await get(provider, patientId, "from=yesterday")).status).toBe(422);
    expect((await get(provider, patientId, "colour=red")).status).toBe(400);
    const audited = await serviceQuery((tx) =>
      tx.selectFrom("audit_log").select("actor_id").where("table_name", "=", "vitals").where("action", "=", "read").where("patient_id", "=", patientId).execute(),
    );
    expect(audited.map((a) => a.actor_id)).toEqual(expect.arrayContaining([patient.id, provider.id]));
  });
});
