/**
 * The per-patient, per-metric sample counters the vitals triggers keep (migration 0930),
 * which FHIR Observation searches by patient (and code) answer their total from: on both
 * engines they must equal count(*) of the samples after every kind of write (batches over
 * several patients, duplicates skipped, deletes, a sample moved to another metric, a
 * patient removed), and two writers at once must add up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, sql } from "../support/seed";
import { observationDefinition } from "@/core/fhir/resources/observation";
import { VISIT_VITAL_KEYS } from "@/core/fhir/codes";
import { parseSearch } from "@/core/fhir/search/search-params";
import { searchParamsOf } from "@/core/fhir/resources";
import { asService } from "@/core/db/with-user";

describe.each(engines)("vitals counters (%s)", (engine) => {
  let t: TestDatabase;
  let providerId: string;
  let p1: string;
  let p2: string;
  let device: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    providerId = (await createUser("provider")).id;
    p1 = await createPatient({ createdBy: providerId });
    p2 = await createPatient({ createdBy: providerId });
    device = await serviceQuery(async (tx) =>
      (await sql<{ id: string }>`insert into public.devices (patient_id, name, token_hash) values (${p1}, 'Watch', ${"ab".repeat(32)}) returning id`.execute(tx)).rows[0].id,
    );
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  /**
   * Counters and counts, as sorted "patient metric samples visit_vitals" lines (counters at
   * 0 left out); the real counts are those of the rows the Observation source serves.
   */
  const state = () =>
    serviceQuery(async (tx) => {
      const kept = await sql<{ k: string }>`select patient_id || ' ' || metric || ' ' || samples || ' ' || visit_vitals as k
        from public.vitals_counts where samples > 0 or visit_vitals > 0 order by 1`.execute(tx);
      const real = await sql<{ k: string }>`select patient_id || ' ' || metric || ' ' || count(*) filter (where id like 'vital-%')
          || ' ' || count(*) filter (where id like 'visit-%') as k
        from (${observationDefinition.source}) o group by patient_id, metric order by 1`.execute(tx);
      return { kept: kept.rows.map((r) => r.k), real: real.rows.map((r) => r.k) };
    });
  const insert = (patient: string, metric: string, minutes: number[], fromDevice = false) =>
    sql`insert into public.vitals (patient_id, device_id, recorded_by, metric, value, unit, recorded_at)
        select ${patient}::uuid, ${fromDevice ? device : null}::uuid, ${fromDevice ? null : providerId}::uuid, ${metric}, 70, 'bpm',
               timestamptz '2026-11-01 00:00:00+00' + make_interval(mins => m)
          from unnest(${minutes}::int[]) m
        on conflict do nothing`;

  it("equal count(*) after batches over several patients, skipped duplicates, deletes and a moved sample", async () => {
    await serviceQuery(async (tx) => {
      // one statement, two patients, two metrics
      await sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at)
        select p, ${providerId}::uuid, m, 70, 'bpm', timestamptz '2026-10-01 00:00:00+00' + make_interval(mins => g)
          from unnest(array[${p1}, ${p2}]::uuid[]) p, unnest(array['heart_rate', 'spo2']) m, generate_series(1, 25) g`.execute(tx);
      await insert(p1, "heart_rate", [1, 2, 3, 4, 5], true).execute(tx);
      // the same device, metric and times again, plus two new: only the two are stored
      await insert(p1, "heart_rate", [4, 5, 6, 7], true).execute(tx);
    });
    let s = await state();
    expect(s.kept).toEqual(s.real);
    expect(s.kept).toContain(`${p1} heart_rate 32 0`);
    expect(s.kept).toContain(`${p2} spo2 25 0`);

    await serviceQuery((tx) => sql`delete from public.vitals where patient_id = ${p2} and metric = 'spo2' and recorded_at < '2026-10-01 00:11:00+00'`.execute(tx));
    await serviceQuery((tx) => sql`update public.vitals set metric = 'steps' where id = (select min(id) from public.vitals where patient_id = ${p1} and metric = 'spo2')`.execute(tx));
    // an update that moves nothing
    await serviceQuery((tx) => sql`update public.vitals set value = 71 where patient_id = ${p2} and metric = 'heart_rate'`.execute(tx));
    s = await state();
    expect(s.kept).toEqual(s.real);
    expect(s.kept).toContain(`${p2} spo2 15 0`);
    expect(s.kept).toContain(`${p1} steps 1 0`);
    expect(s.kept).toContain(`${p1} spo2 24 0`);
  });

  it("a statement that fails leaves the counters as they were", async () => {
    const before = await state();
    await expect(serviceQuery(async (tx) => {
      await insert(p2, "heart_rate", [500, 501]).execute(tx);
      await sql`select 1 / 0`.execute(tx);
    })).rejects.toThrow();
    expect(await state()).toEqual(before);
  });

  it.runIf(engine === "postgresql")("two writers at once for the same patient add up", async () => {
    const batches = Array.from({ length: 6 }, (_, i) => Array.from({ length: 40 }, (_, j) => 1000 + i * 40 + j));
    await Promise.all(batches.map((minutes) => asService("test: concurrent ingest", (tx) => insert(p1, "heart_rate", minutes, true).execute(tx))));
    const s = await state();
    expect(s.kept).toEqual(s.real);
    expect(s.kept).toContain(`${p1} heart_rate ${32 + 240} 0`);
  });

  const visit = (patient: string, vitals: Record<string, unknown> | null, date = "2026-09-01 10:00:00+00") =>
    sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, vitals)
      values (${patient}, ${providerId}, ${date}::timestamptz, 'Check-up', ${vitals === null ? null : JSON.stringify(vitals)}::jsonb) returning id`;

  it("count the vital signs of visits as the Observation source serves them, through inserts, amendments, moves and deletes", async () => {
    const ids = await serviceQuery(async (tx) => {
      const a = (await visit(p1, { blood_pressure: "120/80", heart_rate: 70, temperature_c: 36.6, respiratory_rate: 14, spo2: 98, weight_kg: 80, height_cm: 180 }).execute(tx)).rows[0].id;
      // null values and unknown keys make no Observation
      const b = (await visit(p1, { heart_rate: 72, spo2: null, mood: "fine" }).execute(tx)).rows[0].id;
      const c2 = (await visit(p2, { heart_rate: 64, weight_kg: 70 }).execute(tx)).rows[0].id;
      const none = (await visit(p2, null).execute(tx)).rows[0].id;
      // one statement, several visits of two patients
      await sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, vitals)
        select p, ${providerId}::uuid, timestamptz '2026-09-02 00:00:00+00' + make_interval(days => g), 'Batch', jsonb_build_object('heart_rate', 60 + g)
          from unnest(array[${p1}, ${p2}]::uuid[]) p, generate_series(1, 5) g`.execute(tx);
      return { a, b, c2, none };
    });
    let s = await state();
    expect(s.kept).toEqual(s.real);
    expect(s.kept.find((k) => k.startsWith(`${p1} heart_rate `))).toMatch(/ [1-9]\d* 7$/); // the samples above, 7 visits
    expect(s.kept).toContain(`${p1} height 0 1`);
    expect(s.kept).toContain(`${p2} weight 0 1`);

    await serviceQuery(async (tx) => {
      // an amendment that adds one vital sign and removes another, one that empties a visit, one that fills one
      await sql`update public.visits set vitals = ${JSON.stringify({ heart_rate: 72, spo2: 97 })}::jsonb where id = ${ids.b}`.execute(tx);
      await sql`update public.visits set vitals = null where id = ${ids.c2}`.execute(tx);
      await sql`update public.visits set vitals = ${JSON.stringify({ weight_kg: 71 })}::jsonb where id = ${ids.none}`.execute(tx);
      // a change that is not to the vitals
      await sql`update public.visits set chief_complaint = 'Amended' where patient_id = ${p1}`.execute(tx);
      // a visit moved to the other patient
      await sql`update public.visits set patient_id = ${p2} where id = ${ids.a}`.execute(tx);
    });
    s = await state();
    expect(s.kept).toEqual(s.real);
    expect(s.kept).toContain(`${p2} height 0 1`);
    expect(s.kept).not.toContain(`${p1} height 0 1`);
    expect(s.kept).toContain(`${p1} spo2 24 1`);

    await serviceQuery((tx) => sql`delete from public.visits where chief_complaint = 'Batch' and patient_id = ${p2}`.execute(tx));
    s = await state();
    expect(s.kept).toEqual(s.real);
  });

  it("count every key the Observation source reads from a visit's vitals, under the metric it maps it to", async () => {
    // the migration's list (app.visit_vital_metrics) and the mapper's (VISIT_VITAL_KEYS) are one list
    const all = Object.fromEntries(Object.keys(VISIT_VITAL_KEYS).map((k) => [k, 1]));
    const got = await serviceQuery((tx) => sql<{ m: string }>`select m from app.visit_vital_metrics(${JSON.stringify({ ...all, unknown_key: 1 })}::jsonb) m`.execute(tx));
    expect(got.rows.map((r) => r.m).sort()).toEqual(Object.values(VISIT_VITAL_KEYS).sort());
  });

  it.runIf(engine === "postgresql")("two writers amending visits of the same patient at once add up", async () => {
    const made = await serviceQuery(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 6; i++) out.push((await visit(p1, { heart_rate: 60, spo2: 95 }, `2026-08-0${i + 1} 09:00:00+00`).execute(tx)).rows[0].id);
      return out;
    });
    // half swap spo2 for temperature, half the other way round, all at once
    await Promise.all(made.map((id, i) => asService("test: concurrent amendments", (tx) =>
      sql`update public.visits set vitals = ${JSON.stringify(i % 2 ? { heart_rate: 61, temperature_c: 37 } : { heart_rate: 61, spo2: 96, weight_kg: 80 })}::jsonb where id = ${id}`.execute(tx))));
    const s = await state();
    expect(s.kept).toEqual(s.real);
  });

  it("a removed patient takes its counters along", async () => {
    await serviceQuery((tx) => sql`delete from public.patients where id = ${p2}`.execute(tx));
    const left = await serviceQuery((tx) => sql<{ n: number }>`select count(*)::int as n from public.vitals_counts where patient_id = ${p2}`.execute(tx));
    expect(left.rows[0].n).toBe(0);
    const s = await state();
    expect(s.kept).toEqual(s.real);
  });

  it("Observation searches by patient (and code) take their total from the counters; other searches count rows", () => {
    const total = (query: string) => observationDefinition.total!(parseSearch(new URLSearchParams(query), searchParamsOf(observationDefinition), "Observation").filters);
    expect(total(`patient=${p1}`)).not.toBeNull();
    expect(total(`subject=Patient/${p1}&code=8867-4`)).not.toBeNull();
    expect(total("code=8867-4")).toBeNull(); // every patient the caller may read: counted
    expect(total(`patient=${p1}&date=ge2026-01-01`)).toBeNull();
    expect(total(`patient=${p1}&category=vital-signs`)).toBeNull();
  });
});
