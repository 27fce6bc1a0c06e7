/**
 * FHIR transaction import (POST /fhir/R4): HL7's official R4 examples imported and read back
 * through the FHIR read API; all or nothing (an invalid entry is named and nothing is
 * written; a failure after a document's blob was stored leaves no blob); RLS decides (another
 * provider cannot read what was imported; a patient, an admin's clinical entries, a patient
 * the importer cannot see are refused). Both engines.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { LocalObjectStore } from "@/core/storage/local-store";
import { useObjectStore } from "@/core/storage/index";
import { readResource } from "@/core/fhir/read-resource";
import { POST } from "@/app/fhir/R4/route";
import { sql } from "kysely";

const EXAMPLES = path.resolve(import.meta.dirname, "../../node_modules/hl7.fhir.r4.examples");
const example = (name: string) => {
  const r = JSON.parse(readFileSync(path.join(EXAMPLES, `${name}.json`), "utf8")) as Record<string, unknown>;
  delete r.text;
  return r;
};
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

const PATIENT_URL = "http://example.org/fhir/Patient/example";
const ENCOUNTER_URL = `urn:uuid:${randomUUID()}`;

/** Rewrites the examples' references so that they point inside the Bundle. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "reference" && typeof v === "string") {
        out[k] = /^Patient\//.test(v) ? "Patient/example" : /^Encounter\//.test(v) ? ENCOUNTER_URL : v;
      } else out[k] = relink(v);
    }
    return out;
  }
  return value;
}

function hl7Bundle(): { bundle: Record<string, unknown>; names: string[] } {
  const temperature = example("Observation-body-temperature");
  temperature.encounter = { reference: ENCOUNTER_URL };
  const doc = example("DocumentReference-example");
  doc.content = [{ attachment: { contentType: "application/pdf", data: PDF.toString("base64"), title: "Physical.pdf" } }];
  const resources: [string, Record<string, unknown>, string?][] = [
    ["Patient-example", example("Patient-example"), PATIENT_URL],
    ["Encounter-home", example("Encounter-home"), ENCOUNTER_URL],
    ["Condition-example", example("Condition-example")],
    ["AllergyIntolerance-example", example("AllergyIntolerance-example")],
    ["AllergyIntolerance-medication", example("AllergyIntolerance-medication")],
    ["Observation-heart-rate", example("Observation-heart-rate")],
    ["Observation-blood-pressure", example("Observation-blood-pressure")],
    ["Observation-body-temperature", temperature],
    ["Observation-satO2", example("Observation-satO2")],
    ["MedicationRequest-medrx0302", example("MedicationRequest-medrx0302")],
    ["Appointment-example", example("Appointment-example")],
    ["DocumentReference-example", doc],
  ];
  return {
    names: resources.map((r) => r[0]),
    bundle: {
      resourceType: "Bundle",
      type: "transaction",
      entry: resources.map(([, resource, fullUrl]) => ({
        fullUrl: fullUrl ?? `urn:uuid:${randomUUID()}`,
        resource: relink(resource),
        request: { method: "POST", url: resource.resourceType },
      })),
    },
  };
}

async function post(token: string, body: unknown) {
  const res = await POST(
    new Request("http://localhost/fhir/R4", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json" }, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) } as never,
  );
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function counts(): Promise<Record<string, number>> {
  return serviceQuery(async (tx) => {
    const { rows } = await sql<Record<string, string>>`select
      (select count(*) from public.patients) as patients, (select count(*) from public.visits) as visits,
      (select count(*) from public.vitals) as vitals, (select count(*) from public.prescriptions) as prescriptions,
      (select count(*) from public.appointments) as appointments, (select count(*) from public.documents) as documents,
      (select count(*) from storage.objects) as objects, (select count(*) from public.care_team) as care_team`.execute(tx);
    return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
  });
}

for (const engine of engines) {
  describe(`FHIR transaction import (${engine})`, () => {
    let t: TestDatabase;
    let dir: string;
    let store: LocalObjectStore;
    let doctor: TestUser;
    let other: TestUser;
    const blobs = async () => {
      const keys: string[] = [];
      for await (const o of store.list()) keys.push(o.key);
      return keys;
    };

    beforeAll(async () => {
      t = await installTestDatabase(engine);
      dir = await mkdtemp(path.join(os.tmpdir(), "carebase-fhir-import-"));
      store = new LocalObjectStore(path.join(dir, "objects"), Buffer.alloc(32, 7));
      useObjectStore(store);
      doctor = await createUser("provider");
      other = await createUser("provider");
    });
    afterAll(async () => {
      useObjectStore(undefined);
      await t?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it("imports HL7's R4 examples in one transaction and reads them back through the FHIR API", async () => {
      const before = await counts();
      const { bundle, names } = hl7Bundle();
      const res = await post(doctor.accessToken, bundle);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.type).toContain("application/fhir+json");
      expect(res.body.type).toBe("transaction-response");
      expect(res.body.entry).toHaveLength(names.length);
      for (const e of res.body.entry) {
        expect(e.response.status).toBe("201 Created");
        expect(e.response.location).toMatch(/^[A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/); // a FHIR id: no "_"
      }
      const loc = (name: string) => res.body.entry[names.indexOf(name)].response.location as string;
      const read = async (location: string) => {
        const [type, id] = location.split("/");
        return readResource(doctor.session, type, id, "http://localhost/fhir/R4", {}) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      };

      // what was not stored is said, not dropped silently
      const patientOutcome = res.body.entry[0].response.outcome;
      expect(patientOutcome.resourceType).toBe("OperationOutcome");
      expect(patientOutcome.issue.every((i: { severity: string }) => i.severity === "information")).toBe(true);
      expect(patientOutcome.issue.map((i: { expression: string[] }) => i.expression[0])).toContain("Bundle.entry[0].resource.telecom");

      const patient = await read(loc("Patient-example"));
      const src = example("Patient-example") as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(patient.name[0].family).toBe(src.name[0].family);
      expect(patient.name[0].given.join(" ")).toBe(src.name[0].given.join(" "));
      expect(patient.birthDate).toBe(src.birthDate);
      expect(patient.gender).toBe(src.gender);
      expect(patient.identifier[0].value).toBe("12345"); // the MR identifier became the MRN
      expect(patient.address[0].text).toBe(src.address[0].text);
      expect(patient.contact[0].telecom[0].value).toBe(src.contact[0].telecom[0].value); // the emergency contact
      expect(patient.contact[0].name.text).toBe(`${src.contact[0].name.given.join(" ")} ${src.contact[0].name.family}`);

      const encounter = await read(loc("Encounter-home"));
      expect(Date.parse(encounter.period.start)).toBe(Date.parse("2015-01-17T16:00:00+10:00"));
      expect(encounter.subject.reference).toBe(loc("Patient-example"));

      const condition = await read(loc("Condition-example"));
      expect(condition.code.text).toBe("Burnt Ear");
      expect(condition.subject.reference).toBe(loc("Patient-example"));

      const cashew = await read(loc("AllergyIntolerance-example"));
      expect(cashew.code.text).toBe("Cashew nuts");
      const penicillin = await read(loc("AllergyIntolerance-medication"));
      expect(penicillin.code.text).toBe("Penicillin G");

      const hr = await read(loc("Observation-heart-rate"));
      expect(hr.code.coding[0].code).toBe("8867-4");
      expect(hr.valueQuantity.value).toBe(44);
      expect(hr.effectiveDateTime.slice(0, 10)).toBe("1999-07-02");
      const bp = await read(loc("Observation-blood-pressure"));
      expect(bp.code.coding[0].code).toBe("8480-6"); // a panel without an encounter: two samples
      expect(bp.valueQuantity.value).toBe(107);
      const temp = await read(loc("Observation-body-temperature"));
      expect(temp.encounter.reference).toBe(loc("Encounter-home"));
      expect(temp.valueQuantity.value).toBe(36.5);
      const sat = await read(loc("Observation-satO2"));
      expect(sat.valueQuantity.value).toBe(95);

      const rx = await read(loc("MedicationRequest-medrx0302"));
      expect(JSON.stringify(rx.medicationCodeableConcept)).toContain("Azithromycin 250mg capsule (product)");
      expect(rx.status).toBe("active");
      expect(rx.encounter.reference).toBe(loc("Encounter-home"));
      expect(rx.requester.reference).toBe(`Practitioner/${doctor.id}`);

      const appt = await read(loc("Appointment-example"));
      expect(appt.status).toBe("booked");
      expect(Date.parse(appt.start)).toBe(Date.parse("2013-12-10T09:00:00Z"));
      expect(Date.parse(appt.end)).toBe(Date.parse("2013-12-10T11:00:00Z"));

      const doc = await read(loc("DocumentReference-example"));
      expect(doc.content[0].attachment.contentType).toBe("application/pdf");
      expect(doc.content[0].attachment.size).toBe(PDF.length);
      const [key] = await blobs();
      const chunks: Buffer[] = [];
      for await (const c of await store.get(key)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(PDF)).toBe(true);

      // the importer joined the care team as attending; the rows are all there
      const team = await serviceQuery((tx) => tx.selectFrom("care_team").select(["provider_id", "role"]).where("patient_id", "=", patient.id).execute());
      expect(team).toEqual([{ provider_id: doctor.id, role: "attending" }]);
      const after = await counts();
      expect(after.patients - before.patients).toBe(1);
      expect(after.visits - before.visits).toBe(2); // the encounter, and the condition recorded without one
      expect(after.vitals - before.vitals).toBe(4); // heart rate, systolic, diastolic, SpO2 (the temperature is on the visit)
      expect(after.prescriptions - before.prescriptions).toBe(1);
      expect(after.appointments - before.appointments).toBe(1);
      expect(after.documents - before.documents).toBe(1);
      expect(after.objects - before.objects).toBe(1);

      // another provider sees none of it
      for (const name of ["Patient-example", "Encounter-home", "Observation-heart-rate", "DocumentReference-example"]) {
        const [type, id] = loc(name).split("/");
        await expect(readResource(other.session, type, id, "http://localhost/fhir/R4", {})).rejects.toMatchObject({ status: 404 });
      }
    });

    it("refuses an invalid entry with 422 naming it (index and fullUrl), and writes nothing", async () => {
      const before = await counts();
      const blobsBefore = (await blobs()).length;
      const { bundle } = hl7Bundle();
      const entries = bundle.entry as { fullUrl: string; resource: Record<string, unknown> }[];
      entries[6].resource.effectiveDateTime = "last tuesday";
      const res = await post(doctor.accessToken, bundle);
      expect(res.status).toBe(422);
      expect(res.body.resourceType).toBe("OperationOutcome");
      expect(res.body.issue[0].severity).toBe("error");
      expect(res.body.issue[0].diagnostics).toContain("Bundle.entry[6]");
      expect(res.body.issue[0].diagnostics).toContain(entries[6].fullUrl);
      expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[6\]/);
      expect(res.body.issue[0].diagnostics).not.toContain("last tuesday"); // values are never echoed
      expect(await counts()).toEqual(before);
      expect((await blobs()).length).toBe(blobsBefore);
    });

    it("refuses a malformed Bundle (400) and unsupported entries (422) by name", async () => {
      expect((await post(doctor.accessToken, { resourceType: "Bundle", type: "batch", entry: [] })).status).toBe(400);
      const practitioner = { resourceType: "Bundle", type: "transaction", entry: [{ fullUrl: "urn:uuid:1", resource: { resourceType: "Practitioner" }, request: { method: "POST", url: "Practitioner" } }] };
      const r1 = await post(doctor.accessToken, practitioner);
      expect(r1.status).toBe(422);
      expect(r1.body.issue[0].code).toBe("not-supported");
      const put = { resourceType: "Bundle", type: "transaction", entry: [{ fullUrl: PATIENT_URL, resource: example("Patient-example"), request: { method: "PUT", url: "Patient/example" } }] };
      expect((await post(doctor.accessToken, put)).status).toBe(422);
      const dangling = { resourceType: "Bundle", type: "transaction", entry: [{ fullUrl: "urn:uuid:2", resource: { ...example("Observation-heart-rate"), subject: { reference: "urn:uuid:nowhere" } }, request: { method: "POST", url: "Observation" } }] };
      const r2 = await post(doctor.accessToken, dangling);
      expect(r2.status).toBe(422);
      expect(r2.body.issue[0].expression[0]).toBe("Bundle.entry[0].resource.subject");
    });

    it("a failure after a document's blob was stored leaves neither rows nor the blob", async () => {
      // the MRN is taken by a record the importer cannot even see: the database refuses it (409) after the blob is stored
      const stranger = await createUser("provider");
      const taken = await createPatient({ createdBy: stranger.id });
      const mrn = await serviceQuery(async (tx) => (await tx.selectFrom("patients").select("mrn").where("id", "=", taken).executeTakeFirstOrThrow()).mrn);
      const { bundle } = hl7Bundle();
      const entries = bundle.entry as { resource: { identifier?: { value?: string }[] } }[];
      entries[0].resource.identifier![0].value = mrn;
      const before = await counts();
      const blobsBefore = (await blobs()).length;
      const res = await post(doctor.accessToken, bundle);
      expect(res.status).toBe(409);
      expect(res.body.issue[0].diagnostics).toContain("Bundle.entry[0]");
      expect(await counts()).toEqual(before);
      expect((await blobs()).length).toBe(blobsBefore);
    });

    it("RLS decides: patients cannot import, admins cannot chart, a patient the importer cannot see is 404", async () => {
      const patientUser = await createUser("patient");
      expect((await post(patientUser.accessToken, hl7Bundle().bundle)).status).toBe(403);

      const admin = await createUser("admin");
      const before = await counts();
      const adminBundle = hl7Bundle().bundle;
      (adminBundle.entry as { resource: { identifier: { value: string }[] } }[])[0].resource.identifier[0].value = `ADM-${Date.now().toString(36)}`;
      const res = await post(admin.accessToken, adminBundle);
      expect(res.status).toBe(403);
      expect(res.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\]/); // the Encounter: admins do not record visits
      expect(await counts()).toEqual(before);
      // demographics alone: an admin may register a patient (and joins no care team)
      const demo = { resourceType: "Bundle", type: "transaction", entry: [hl7Bundle().bundle.entry as unknown[]][0].slice(0, 1) };
      (demo.entry[0] as { resource: { identifier: { value: string }[] } }).resource.identifier[0].value = `ADM2-${Date.now().toString(36)}`;
      expect((await post(admin.accessToken, demo)).status).toBe(200);

      const strangersPatient = await createPatient({ createdBy: other.id });
      const obs = { resourceType: "Bundle", type: "transaction", entry: [{ fullUrl: "urn:uuid:3", resource: { ...example("Observation-heart-rate"), subject: { reference: `Patient/${strangersPatient}` } }, request: { method: "POST", url: "Observation" } }] };
      const hidden = await post(doctor.accessToken, obs);
      expect(hidden.status).toBe(404);
      expect(hidden.body.issue[0].diagnostics).toContain("Bundle.entry[0] (urn:uuid:3)");
      // the same entry for a patient of the importer's is written
      const mine = await createPatient({ createdBy: doctor.id });
      const ok = await post(doctor.accessToken, { ...obs, entry: [{ ...obs.entry[0], resource: { ...obs.entry[0].resource, subject: { reference: `Patient/${mine}` } } }] });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.entry[0].response.location).toMatch(/^Observation\/vital-\d+$/);
    });
  });
}
