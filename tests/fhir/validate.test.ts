import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { fhirGet, FHIR_TYPES, seedClinic, startFhirServer, type Clinic } from "./support";
import { validationErrors } from "./validators";

type Resource = Record<string, unknown> & { resourceType: string; id?: string };

describe.each(engines)("every resource served validates against the R4 definitions (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  let server: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    server = await startFhirServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  it("the validators catch a broken resource (so a pass means something)", () => {
    expect(validationErrors({ resourceType: "Observation", status: "made-up", code: { text: "x" } }).length).toBeGreaterThan(0);
    expect(validationErrors({ resourceType: "Patient", gender: "f" }).length).toBeGreaterThan(0);
    expect(validationErrors({ resourceType: "Patient", birthDate: "1980-04-02", unknownField: 1 }).length).toBeGreaterThan(0);
  });

  it("searches of every type, $everything, metadata and an OperationOutcome: zero errors", async () => {
    const seen = new Map<string, number>();
    const all: Resource[] = [];
    const check = (r: Resource) => {
      const errors = validationErrors(r);
      expect(errors, `${r.resourceType}/${r.id}: ${JSON.stringify(r).slice(0, 600)}`).toEqual([]);
      // FHIR JSON has no empty arrays or objects (the validators let them pass)
      expect(emptyMembers(r), `${r.resourceType}/${r.id}`).toEqual([]);
      seen.set(r.resourceType, (seen.get(r.resourceType) ?? 0) + 1);
    };
    for (const type of FHIR_TYPES) {
      const r = await fhirGet(server.url, `${type}?_count=1000`, c.admin.accessToken);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^application\/fhir\+json/);
      check(r.body);
      for (const e of r.body.entry ?? []) all.push(e.resource);
    }
    for (const token of [c.attending.accessToken, c.patientUser.accessToken]) {
      const e = await fhirGet(server.url, `Patient/${c.patientId}/$everything`, token);
      expect(e.status).toBe(200);
      check(e.body);
      for (const x of e.body.entry) all.push(x.resource);
    }
    for (const r of all) check(r);
    // a FHIR id is [A-Za-z0-9\-.]{1,64} (the validators do not check it): visit vitals such as heart_rate once broke it
    for (const r of all) expect(r.id, `${r.resourceType}/${r.id}`).toMatch(/^[A-Za-z0-9.-]{1,64}$/);
    // and every id served reads back
    const visitHr = all.find(
      (r) => r.resourceType === "Observation" && /^visit-.*-heart-rate$/.test(r.id ?? "") && JSON.stringify(r).includes(`"Patient/${c.patientId}"`),
    );
    expect(visitHr, "a visit's heart rate is served").toBeDefined();
    expect((await fhirGet(server.url, `Observation/${visitHr!.id}`, c.attending.accessToken)).status).toBe(200);
    check((await fhirGet(server.url, "Observation?date=1901-01-01", c.admin.accessToken)).body);
    check((await fhirGet(server.url, "metadata")).body);
    check((await fhirGet(server.url, "Patient?bogus=1", c.admin.accessToken)).body);
    check((await fhirGet(server.url, `Patient/${c.otherPatientId}`, c.attending.accessToken)).body);
    // every type was served at least once (and validated)
    for (const type of FHIR_TYPES) expect(seen.get(type) ?? 0, type).toBeGreaterThan(0);
    expect(seen.get("OperationOutcome")).toBe(2);
  });
});

/** The paths of empty arrays and objects in a JSON value. */
function emptyMembers(v: unknown, path = "$"): string[] {
  if (Array.isArray(v)) return v.length ? v.flatMap((x, i) => emptyMembers(x, `${path}[${i}]`)) : [path];
  if (v && typeof v === "object") {
    const entries = Object.entries(v);
    return entries.length ? entries.flatMap(([k, x]) => emptyMembers(x, `${path}.${k}`)) : [path];
  }
  return [];
}
