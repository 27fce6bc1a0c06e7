/**
 * "Download my record" (/my-records/download/{fhir|pdf}): the signed-in patient's own
 * record as a FHIR file (valid, complete) and a readable PDF (text checked with pdftotext);
 * staff and anonymous callers get nothing; the read is in the patient's access log.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { call } from "../support/http";
import { serviceQuery, sql } from "../support/seed";
import * as download from "@/app/(portal)/my-records/download/[format]/route";
import { seedClinic, type Clinic } from "./support";
import { validationErrors } from "./validators";

describe.each(engines)("download my record (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    await serviceQuery((tx) => tx.updateTable("patients").set({ first_name: "Zoë", last_name: "Łukasiewicz" }).where("id", "=", c.patientId).execute());
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it("the FHIR file: a valid collection Bundle of the patient's whole record, no staff-only messages", async () => {
    const r = await call(download.GET, { token: c.patientUser.accessToken, params: { format: "fhir" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="my-record.json"');
    const bundle = JSON.parse(r.bytes!.toString("utf8"));
    expect(bundle.type).toBe("collection");
    expect(validationErrors(bundle)).toEqual([]);
    const types = bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
    expect(types[0]).toBe("Patient");
    expect(bundle.entry[0].resource.id).toBe(c.patientId);
    for (const type of ["AllergyIntolerance", "MedicationRequest", "Encounter", "Condition", "Observation", "Appointment", "DocumentReference", "Device", "CareTeam", "Practitioner"]) {
      expect(types, type).toContain(type);
    }
    expect(types).not.toContain("Communication");
    for (const e of bundle.entry) expect(validationErrors(e.resource), JSON.stringify(e.resource).slice(0, 300)).toEqual([]);
  });

  it("the PDF summary: readable text with the record's content (Unicode names included)", async () => {
    const r = await call(download.GET, { token: c.patientUser.accessToken, params: { format: "pdf" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/pdf");
    expect(r.bytes!.subarray(0, 5).toString()).toBe("%PDF-");
    const dir = mkdtempSync(path.join(os.tmpdir(), "fhirr-pdf-"));
    const file = path.join(dir, "summary.pdf");
    writeFileSync(file, r.bytes!);
    const text = execFileSync("pdftotext", ["-enc", "UTF-8", file, "-"], { encoding: "utf8" });
    for (const s of ["Health record summary", "Zoë Łukasiewicz", "Born 1980-04-02", "penicillin", "latex", "Drug discontinued", "stopped", "Acute bronchitis", "Heart rate", "Follow-up", "labs.pdf", "Grace Hopper"]) {
      expect(text, s).toContain(s);
    }
    expect(text).not.toContain("Patient called about the cough"); // the staff-only channel
    expect(execFileSync("pdfinfo", [file], { encoding: "utf8" })).toMatch(/Title:\s+Health record summary/);
  });

  it("is the patient's own only: staff get 404, anonymous 401, an unknown format 404", async () => {
    expect((await call(download.GET, { token: c.attending.accessToken, params: { format: "fhir" } })).status).toBe(404);
    expect((await call(download.GET, { token: c.admin.accessToken, params: { format: "pdf" } })).status).toBe(404);
    expect((await call(download.GET, { params: { format: "fhir" } })).status).toBe(401);
    expect((await call(download.GET, { token: c.patientUser.accessToken, params: { format: "xml" } })).status).toBe(404);
  });

  it("is audited as the patient's own FHIR read", async () => {
    const { rows } = await serviceQuery((tx) =>
      sql<{ n: number }>`select count(*)::int as n from public.audit_log
                          where patient_id = ${c.patientId}::uuid and actor_id = ${c.patientUser.id}::uuid and action = 'read'
                            and details ->> 'via' = 'fhir' and details ->> 'operation' = '$everything'`.execute(tx),
    );
    expect(rows[0].n).toBeGreaterThan(5);
  });
});
