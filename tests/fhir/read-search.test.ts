/**
 * Read, search and paging driven by an outside client (fhir-kit-client) over HTTP, on
 * both engines: what each search parameter selects, keyset paging to the end, malformed
 * parameters refused with 400 OperationOutcome, and the audit records FHIR reads leave.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "fhir-kit-client";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { serviceQuery, sql } from "../support/seed";
import { getAccessLog } from "@/core/audit/get-access-log";
import { fhirGet, seedClinic, startFhirServer, type Clinic } from "./support";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Bundle = { resourceType: "Bundle"; total: number; link: { relation: string; url: string }[]; entry?: { resource: any }[] };

describe.each(engines)("FHIR read and search through fhir-kit-client (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  let server: { url: string; close: () => Promise<void> };
  let attending: Client;
  let patient: Client;
  let admin: Client;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    server = await startFhirServer();
    attending = new Client({ baseUrl: server.url, bearerToken: c.attending.accessToken });
    patient = new Client({ baseUrl: server.url, bearerToken: c.patientUser.accessToken });
    admin = new Client({ baseUrl: server.url, bearerToken: c.admin.accessToken });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  const search = async (client: Client, resourceType: string, searchParams: Record<string, string | string[]>) =>
    (await client.search({ resourceType, searchParams: searchParams as Record<string, string> })) as unknown as Bundle;
  const ids = (b: Bundle) => (b.entry ?? []).map((e) => e.resource.id as string);
  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 200;
    } catch (e) {
      const r = (e as { response?: { status: number; data: any } }).response;
      expect(r?.data?.resourceType, JSON.stringify(r?.data)).toBe("OperationOutcome");
      return r!.status;
    }
  };

  it("reads a visible patient; another patient's record is not found", async () => {
    const p = (await attending.read({ resourceType: "Patient", id: c.patientId })) as any;
    expect(p.name[0].family).toBe("Fhirtest");
    expect(p.identifier[0].value).toMatch(/^MRN-/);
    expect(await status(attending.read({ resourceType: "Patient", id: c.otherPatientId }))).toBe(404);
    expect(await status(attending.read({ resourceType: "Patient", id: "00000000-0000-4000-8000-000000000000" }))).toBe(404);
    expect(await status(attending.read({ resourceType: "Observation", id: "no-such-thing" }))).toBe(404);
    expect(await status(attending.read({ resourceType: "Basic", id: "x" }))).toBe(404);
  });

  it("pages through every observation with keyset cursors: each once, in order, total right", async () => {
    const first = await search(attending, "Observation", { patient: c.patientId, _count: "7" });
    // 24 + 5 wearable samples, 3 visits x 7 vitals
    expect(first.total).toBe(50);
    expect(first.link.find((l) => l.relation === "self")).toBeTruthy();
    const seen: string[] = [...ids(first)];
    const rest: Bundle[] = [];
    let page: Bundle | undefined = first;
    let pages = 1;
    for (;;) {
      page = (await attending.nextPage({ bundle: page as any })) as unknown as Bundle | undefined;
      if (!page) break;
      pages++;
      expect(page.total).toBe(50);
      expect(page.link.find((l) => l.relation === "next")?.url ?? "").not.toMatch(/offset/i);
      seen.push(...ids(page));
      rest.push(page);
    }
    expect(pages).toBe(8);
    expect(seen.length).toBe(50);
    expect(new Set(seen).size).toBe(50);
    // in time order (effective, then id): a page reads an index in that order
    const times = [first, ...rest].flatMap((b) => (b.entry ?? []).map((e) => Date.parse((e.resource as { effectiveDateTime: string }).effectiveDateTime)));
    expect(times.length).toBe(50);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("counts once: the total travels in the cursor; _total=none leaves it out; a forged cursor is refused", async () => {
    const first = await search(attending, "Observation", { patient: c.patientId, _count: "10" });
    expect(first.total).toBe(50);
    const next = first.link.find((l) => l.relation === "next")!.url;
    const cursor = new URL(next).searchParams.get("_cursor")!;
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { k: string; t: string; n: number };
    expect(decoded).toMatchObject({ n: 50 });
    expect(decoded.t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const none = await search(attending, "Observation", { patient: c.patientId, _count: "10", _total: "none" });
    expect(none.total).toBeUndefined();
    expect(none.entry).toHaveLength(10);
    const forged = Buffer.from(JSON.stringify({ k: decoded.k, t: "yesterday" }), "utf8").toString("base64url");
    expect(await status(attending.search({ resourceType: "Observation", searchParams: { patient: c.patientId, _cursor: forged } }))).toBe(400);
  });

  it("a cursor issued without a total (a _total=none page) pages on with the total counted, also when its page is empty", async () => {
    const first = await search(attending, "Observation", { patient: c.patientId, _count: "49", _total: "none" });
    const next = new URL(first.link.find((l) => l.relation === "next")!.url);
    next.searchParams.delete("_total");
    const last = await fhirGet(server.url, `Observation?${next.searchParams.toString()}`, c.attending.accessToken);
    expect(last.status).toBe(200);
    expect([last.body.total, last.body.entry.length]).toEqual([50, 1]);
    // a cursor after the last row: an empty page, counted on its own (a second statement)
    const end = Buffer.from(JSON.stringify({ k: "zzzz", t: "2999-01-01T00:00:00.000000Z" }), "utf8").toString("base64url");
    const empty = await fhirGet(server.url, `Observation?patient=${c.patientId}&_cursor=${end}`, c.attending.accessToken);
    expect(empty.status).toBe(200);
    expect(empty.body.total).toBe(50);
    expect(empty.body.entry).toBeUndefined(); // FHIR JSON has no empty arrays
  });

  it("reads an Observation by id through the key it is made of (a sample's or a visit's), and _id finds the same", async () => {
    const all = await search(attending, "Observation", { patient: c.patientId, _count: "100" });
    const sample = all.entry!.find((e) => String(e.resource.id).startsWith("vital-"))!.resource;
    const visitVital = all.entry!.find((e) => String(e.resource.id).startsWith("visit-"))!.resource;
    for (const r of [sample, visitVital]) {
      expect(await attending.read({ resourceType: "Observation", id: r.id as string })).toEqual(r);
      const byId = await search(attending, "Observation", { _id: r.id as string });
      expect(ids(byId)).toEqual([r.id]);
    }
    expect(ids(await search(attending, "Observation", { _id: `${sample.id},${visitVital.id}` })).sort()).toEqual([sample.id, visitVital.id].sort());
    for (const bad of ["vital-abc", "vital-0", "visit-nope-heart-rate", `${visitVital.id}-x`]) {
      expect(await status(attending.read({ resourceType: "Observation", id: bad }))).toBe(404);
    }
    // the patient sees their own sample; another patient does not
    expect(await patient.read({ resourceType: "Observation", id: sample.id as string })).toEqual(sample);
  });

  it("filters by code, date prefixes, category, status, identifier, names and birthdate", async () => {
    const hr = await search(attending, "Observation", { patient: `Patient/${c.patientId}`, code: "http://loinc.org|8867-4" });
    expect(hr.total).toBe(15);
    expect(hr.entry!.every((e) => e.resource.code.coding[0].code === "8867-4" && e.resource.valueQuantity.code === "/min")).toBe(true);
    expect((await search(attending, "Observation", { subject: c.patientId, code: "8867-4" })).total).toBe(15);
    expect((await search(attending, "Observation", { patient: c.patientId, code: "http://snomed.info/sct|8867-4" })).total).toBe(0);
    expect((await search(attending, "Observation", { patient: c.patientId, code: "http://loinc.org|8867-4,http://loinc.org|55423-8" })).total).toBe(27);
    const bp = await search(attending, "Observation", { patient: c.patientId, code: "85354-9" });
    expect(bp.total).toBe(3);
    expect(bp.entry![0].resource.component.map((x: any) => x.code.coding[0].code)).toEqual(["8480-6", "8462-4"]);
    expect((await search(attending, "Observation", { patient: c.patientId, date: ["ge2026-02-01", "lt2026-02-02"] })).total).toBe(24);
    expect((await search(attending, "Observation", { patient: c.patientId, date: "2026-02-01" })).total).toBe(24);
    expect((await search(attending, "Observation", { patient: c.patientId, date: "gt2026-02-01" })).total).toBe(5);
    expect((await search(attending, "Observation", { patient: c.patientId, date: "le2026-01" })).total).toBe(21);
    expect((await search(attending, "Observation", { patient: c.patientId, date: "lt2026-01-11" })).total).toBe(7);
    expect((await search(attending, "Observation", { patient: c.patientId, date: "2026-02-01T08:05:00Z" })).total).toBe(2);
    expect((await search(attending, "Observation", { patient: c.patientId, category: "vital-signs" })).total).toBe(50);
    expect((await search(attending, "Observation", { patient: c.patientId, category: "laboratory" })).total).toBe(0);
    expect((await search(attending, "Observation", { device: c.deviceId })).total).toBe(29);

    const stopped = await search(attending, "MedicationRequest", { patient: c.patientId, status: "stopped" });
    expect(stopped.total).toBe(1);
    expect(stopped.entry![0].resource.statusReason.text).toBe("Side effects");
    expect((await search(attending, "MedicationRequest", { patient: c.patientId, status: "active,completed" })).total).toBe(2);

    const me = (await attending.read({ resourceType: "Patient", id: c.patientId })) as any;
    const mrn = me.identifier[0];
    expect(ids(await search(attending, "Patient", { identifier: `${mrn.system}|${mrn.value}` }))).toEqual([c.patientId]);
    expect(ids(await search(attending, "Patient", { identifier: `http://elsewhere|${mrn.value}` }))).toEqual([]);
    expect(ids(await search(attending, "Patient", { family: "fhirt" }))).toEqual([c.patientId]);
    expect(ids(await search(attending, "Patient", { "family:exact": "fhirt" }))).toEqual([]);
    expect(ids(await search(attending, "Patient", { name: "pat" }))).toEqual([c.patientId]);
    expect(ids(await search(attending, "Patient", { "name:contains": "irtes" }))).toEqual([c.patientId]);
    expect(ids(await search(attending, "Patient", { birthdate: "1980-04-02" }))).toEqual([c.patientId]);
    expect(ids(await search(attending, "Patient", { birthdate: "lt1980" }))).toEqual([]);
    // the other patient matches these parameters too, but is not visible
    expect(ids(await search(attending, "Patient", { birthdate: "1980" }))).toEqual([c.patientId]);
    expect(ids(await search(admin, "Patient", { birthdate: "1980" })).sort()).toEqual([c.patientId, c.otherPatientId].sort());
    expect(ids(await search(attending, "Patient", { _id: `${c.patientId},${c.otherPatientId}` }))).toEqual([c.patientId]);
    expect((await search(attending, "Encounter", { patient: c.patientId, _lastUpdated: "ge2000-01-01" })).total).toBe(3);
    expect((await search(attending, "Encounter", { patient: c.patientId, date: "2026-01-11" })).total).toBe(1);
    const office = await search(attending, "Encounter", { patient: c.patientId, type: "office" });
    expect(office.total).toBe(3);
    expect(office.entry![0].resource.type[0].coding[0].code).toBe("office");
    expect((await search(attending, "Encounter", { patient: c.patientId, type: "telehealth" })).total).toBe(0);
    expect((await search(attending, "Condition", { patient: c.patientId, category: "encounter-diagnosis" })).total).toBe(2);
    expect((await search(attending, "Appointment", { patient: c.patientId, status: "proposed" })).total).toBe(1);
    expect((await search(attending, "AllergyIntolerance", { patient: c.patientId })).entry!.map((e) => e.resource.code.text).sort()).toEqual(["latex", "penicillin"]);
    const compartment = (await attending.compartmentSearch({ resourceType: "MedicationRequest", compartment: { resourceType: "Patient", id: c.patientId } })) as unknown as Bundle;
    expect(compartment.total).toBe(3);
  });

  it("$everything through the client; the patient gets their record without the staff-only channel", async () => {
    const all = (await attending.operation({ name: "everything", resourceType: "Patient", id: c.patientId, method: "GET" })) as unknown as Bundle;
    const types = new Set(all.entry!.map((e) => e.resource.resourceType));
    for (const t of ["Patient", "CareTeam", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest", "Observation", "DocumentReference", "Appointment", "Communication", "Device", "Practitioner"]) {
      expect(types.has(t), t).toBe(true);
    }
    expect(all.total).toBe(all.entry!.length);
    const mine = (await patient.operation({ name: "everything", resourceType: "Patient", id: c.patientId, method: "GET" })) as unknown as Bundle;
    expect(mine.entry!.some((e) => e.resource.resourceType === "Communication")).toBe(false);
    expect(mine.entry!.filter((e) => e.resource.resourceType === "Observation").length).toBe(50);
    const doc = mine.entry!.find((e) => e.resource.resourceType === "DocumentReference")!.resource;
    expect(doc.content[0].attachment.url).toMatch(/\/api\/v1\/files\//);
    expect(await status(patient.operation({ name: "everything", resourceType: "Patient", id: c.otherPatientId, method: "GET" }))).toBe(404);
    expect(await status(attending.operation({ name: "everything", resourceType: "Patient", id: c.otherPatientId, method: "GET" }))).toBe(404);
  });

  it("refuses unknown and malformed parameters with 400 OperationOutcome", async () => {
    const bad: [string, Record<string, string>][] = [
      ["Patient", { bogus: "1" }],
      ["Patient", { _sort: "family" }],
      ["Patient", { _count: "0" }],
      ["Patient", { _count: "1001" }],
      ["Patient", { _count: "ten" }],
      ["Patient", { birthdate: "1980-13-01" }],
      ["Patient", { birthdate: "04/02/1980" }],
      ["Observation", { date: "sa2026" }],
      ["Observation", { patient: "Practitioner/123" }],
      ["Observation", { "code:text": "heart" }],
      ["Patient", { "name:fuzzy": "pat" }],
      ["Patient", { _cursor: "not a cursor!" }],
      ["Patient", { _cursor: "eyJrIjoxfQ" }],
      ["Patient", { family: "" }],
      ["Encounter", { date: "2026-01-01T25:00Z" }],
    ];
    for (const [type, params] of bad) {
      const q = new URLSearchParams(params).toString();
      const r = await fhirGet(server.url, `${type}?${q}`, c.attending.accessToken);
      expect(r.status, `${type}?${q}`).toBe(400);
      expect(r.type).toMatch(/^application\/fhir\+json/);
      expect(r.body.resourceType).toBe("OperationOutcome");
      expect(r.body.issue[0]).toMatchObject({ severity: "error", code: "invalid" });
    }
    expect((await fhirGet(server.url, `Patient/${c.patientId}/$everything?start=2020`, c.attending.accessToken)).status).toBe(400);
    expect((await fhirGet(server.url, "Patient/not%20an%20id", c.attending.accessToken)).status).toBe(400);
  });

  it("answers 401 without a session, and metadata without one", async () => {
    const r = await fhirGet(server.url, `Patient/${c.patientId}`);
    expect(r.status).toBe(401);
    expect(r.body.issue[0].code).toBe("login");
    const meta = await fhirGet(server.url, "metadata");
    expect(meta.status).toBe(200);
    expect(meta.body.fhirVersion).toBe("4.0.1");
    const types = meta.body.rest[0].resource.map((x: any) => x.type);
    expect(types).toContain("Observation");
    expect(meta.body.rest[0].resource.find((x: any) => x.type === "Patient").operation[0].name).toBe("everything");
  });

  it("records FHIR reads like the JSON API's, marked via fhir; the patient sees them as AuditEvents", async () => {
    const before = new Date();
    await attending.read({ resourceType: "Patient", id: c.patientId });
    await search(attending, "MedicationRequest", { patient: c.patientId });
    const rows = await serviceQuery((tx) =>
      sql<{ table_name: string; actor_id: string; via: string; resource: string; n: number }>`
        select table_name, actor_id, details ->> 'via' as via, details ->> 'resource' as resource, jsonb_array_length(details -> 'records') as n
          from public.audit_log where patient_id = ${c.patientId}::uuid and action = 'read' and occurred_at >= ${before.toISOString()}::timestamptz
         order by id`.execute(tx),
    );
    expect(rows.rows).toEqual([
      { table_name: "patient_chart", actor_id: c.attending.id, via: "fhir", resource: "Patient", n: 1 },
      { table_name: "prescriptions", actor_id: c.attending.id, via: "fhir", resource: "MedicationRequest", n: 3 },
    ]);
    const events = await search(patient, "AuditEvent", { patient: c.patientId, date: `ge${before.toISOString()}`, action: "R" });
    const fromAttending = events.entry!.filter((e) => e.resource.agent[0].who.reference === `Practitioner/${c.attending.id}`);
    expect(fromAttending.length).toBeGreaterThanOrEqual(2);
    expect(fromAttending[0].resource.entity[0].detail).toEqual([{ type: "channel", valueString: "fhir" }]);
    // the patient's access log (the JSON API and the portal page) says these came through FHIR
    const log = await getAccessLog(c.patientUser.session, c.patientId, { limit: 50 }, {});
    const viaFhir = log.data.filter((e) => e.via === "fhir" && e.actor.role === "provider");
    expect(viaFhir.map((e) => e.record_kind)).toEqual(expect.arrayContaining(["patient_chart", "prescriptions"]));
    // the attending is not an admin and not the patient: no audit trail for them
    expect((await search(attending, "AuditEvent", { patient: c.patientId })).total).toBe(0);
    // nor the staff-only channel for the patient
    expect((await search(patient, "Communication", {})).total).toBe(0);
  });

  it("records, in the page's own statement, only the rows the page shows: one record per patient; an empty page records nothing", async () => {
    const before = new Date();
    const page = await search(attending, "Observation", { patient: c.patientId, _count: "7" });
    expect(ids(page).length).toBe(7);
    const none = await search(attending, "Observation", { patient: c.patientId, date: "1901-01-01" });
    expect(none.total).toBe(0);
    const both = await search(admin, "Patient", { _count: "10" });
    expect(ids(both).sort()).toEqual([c.patientId, c.otherPatientId].sort());
    const rows = await serviceQuery((tx) =>
      sql<{ actor_id: string; patient_id: string; resource: string; records: string[] }>`
        select actor_id, patient_id, details ->> 'resource' as resource, details -> 'records' as records
          from public.audit_log where action = 'read' and details ->> 'via' = 'fhir' and occurred_at >= ${before.toISOString()}::timestamptz
         order by id`.execute(tx),
    );
    const observations = rows.rows.filter((r) => r.resource === "Observation");
    expect(observations).toEqual([{ actor_id: c.attending.id, patient_id: c.patientId, resource: "Observation", records: ids(page) }]);
    const patients = rows.rows.filter((r) => r.resource === "Patient");
    expect(patients.map((r) => [r.actor_id, r.patient_id, r.records]).sort()).toEqual(
      [[c.admin.id, c.patientId, [c.patientId]], [c.admin.id, c.otherPatientId, [c.otherPatientId]]].sort(),
    );
  });

  // last: it adds samples the counts above do not expect
  it("pages a visit's vital signs and samples of the same instant each exactly once, in (time, id) order, whichever source they come from", async () => {
    // a page takes its first rows from each source (samples, visits) and merges them: ties at a
    // page's edge cross both sources and pages
    await serviceQuery(async (tx) => {
      await sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, vitals)
        values (${c.patientId}, ${c.attending.id}, '2027-04-01 10:00:00+00', 'Tie one', ${JSON.stringify({ heart_rate: 71, spo2: 98, weight_kg: 70 })}::jsonb),
               (${c.patientId}, ${c.attending.id}, '2027-04-01 10:00:00+00', 'Tie two', ${JSON.stringify({ heart_rate: 72 })}::jsonb),
               (${c.patientId}, ${c.attending.id}, '2027-04-01 11:00:00+00', 'Later', ${JSON.stringify({ heart_rate: 73, temperature_c: 36.9 })}::jsonb)`.execute(tx);
      await sql`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
        values (${c.patientId}, ${c.deviceId}, 'heart_rate', 81, 'bpm', '2027-04-01 10:00:00+00'),
               (${c.patientId}, ${c.deviceId}, 'steps', 82, 'count', '2027-04-01 10:00:00+00'),
               (${c.patientId}, ${c.deviceId}, 'heart_rate', 83, 'bpm', '2027-04-01 09:59:59.999999+00'),
               (${c.patientId}, ${c.deviceId}, 'heart_rate', 84, 'bpm', '2027-04-01 10:30:00+00')`.execute(tx);
    });
    const all = await search(attending, "Observation", { patient: c.patientId, date: "2027-04-01", _count: "100" });
    expect(all.total).toBe(10);
    const expected = ids(all);
    const key = (e: NonNullable<Bundle["entry"]>[number]) => [Date.parse((e.resource as { effectiveDateTime: string }).effectiveDateTime), e.resource.id as string] as const;
    const keys = all.entry!.map(key);
    // time, then id bytewise ("vital-…" after "visit-…")
    expect([...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))).toEqual(keys);
    for (const count of ["1", "2", "3", "4"]) {
      const seen: string[] = [];
      let page: Bundle | undefined = await search(attending, "Observation", { patient: c.patientId, date: "2027-04-01", _count: count });
      while (page) {
        expect(page.total).toBe(10);
        seen.push(...ids(page));
        page = (await attending.nextPage({ bundle: page as any })) as unknown as Bundle | undefined;
      }
      expect(seen, `_count=${count}`).toEqual(expected);
    }
  });

  it("a search kept prepared on its connection answers each caller under their own rules, also once its plan is generic", async () => {
    // the same statement text for every caller (docs/prepared-statements.md); more rounds than
    // the five custom plans the server makes before it may keep a generic one
    const outsider = new Client({ baseUrl: server.url, bearerToken: c.outsider.accessToken });
    const mine = await search(attending, "Observation", { patient: c.patientId, _count: "5" });
    expect(mine.total).toBeGreaterThan(0);
    for (let round = 0; round < 8; round++) {
      for (const [who, client] of [["attending", attending], ["admin", admin], ["patient", patient]] as const) {
        const b = await search(client, "Observation", { patient: c.patientId, _count: "5" });
        expect(b.total, who).toBe(mine.total);
        expect(ids(b), who).toEqual(ids(mine));
      }
      const hidden = await search(outsider, "Observation", { patient: c.patientId, _count: "5" });
      expect(hidden.total).toBe(0);
      expect(hidden.entry).toBeUndefined();
      const theirs = await search(outsider, "Observation", { patient: c.otherPatientId, _count: "5" });
      expect(theirs.total).toBe(1);
      expect((await search(attending, "Observation", { patient: c.otherPatientId, _count: "5" })).total).toBe(0);
    }
  });

  it("pages samples that share a millisecond (or an instant) each exactly once, in time order to the microsecond", async () => {
    await serviceQuery((tx) => sql`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
      values (${c.patientId}, ${c.deviceId}, 'heart_rate', 61, 'bpm', '2027-03-01 00:00:00.000200+00'),
             (${c.patientId}, ${c.deviceId}, 'steps', 62, 'count', '2027-03-01 00:00:00.000200+00'),
             (${c.patientId}, ${c.deviceId}, 'heart_rate', 63, 'bpm', '2027-03-01 00:00:00.000050+00'),
             (${c.patientId}, ${c.deviceId}, 'heart_rate', 64, 'bpm', '2027-03-01 00:00:00.000900+00')`.execute(tx));
    const values: number[] = [];
    const seen: string[] = [];
    let page: Bundle | undefined = await search(attending, "Observation", { patient: c.patientId, date: "2027-03-01", _count: "1" });
    expect(page.total).toBe(4);
    while (page) {
      for (const e of page.entry ?? []) {
        seen.push(e.resource.id as string);
        values.push((e.resource as { valueQuantity: { value: number } }).valueQuantity.value);
        expect((e.resource as { effectiveDateTime: string }).effectiveDateTime).toBe("2027-03-01T00:00:00.000Z");
      }
      page = (await attending.nextPage({ bundle: page as any })) as unknown as Bundle | undefined;
    }
    expect(new Set(seen).size).toBe(4);
    expect(values[0]).toBe(63); // .000050 first
    expect(values[3]).toBe(64); // .000900 last
    expect(values.slice(1, 3).sort()).toEqual([61, 62]); // the two of the same instant, by id
  });
});
