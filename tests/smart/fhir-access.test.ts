/**
 * What an app may read with its token, on both engines: its user's rights (RLS) narrowed by
 * the granted scopes; a patient-context token reaches its patient only; reads name the app
 * in the audit trail; a disconnected or disabled app's tokens stop at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { call } from "../support/http";
import { fhirGet, seedClinic, type Clinic } from "../fhir/support";
import { getAccessLog } from "@/core/audit/get-access-log";
import * as adminApps from "@/app/api/v1/admin/apps/route";
import * as adminApp from "@/app/api/v1/admin/apps/[client_id]/route";
import * as myApps from "@/app/api/v1/me/apps/route";
import * as myApp from "@/app/api/v1/me/apps/[client_id]/route";
import * as fhirRoot from "@/app/fhir/R4/route";
import { authorize, connect, registerTestApp, startSmartServer } from "./support";

/* eslint-disable @typescript-eslint/no-explicit-any */
describe.each(engines)("SMART tokens at /fhir/R4 (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  let server: Awaited<ReturnType<typeof startSmartServer>>;
  let clientId: string;
  let otherObservationId: string;
  let ownPrescriptionId: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    server = await startSmartServer();
    clientId = (await registerTestApp(c.admin.session)).app.client_id;
    const q = await fhirGet(server.fhir, `Observation?patient=${c.otherPatientId}`, c.admin.accessToken);
    otherObservationId = q.body.entry[0].resource.id;
    const p = await fhirGet(server.fhir, `MedicationRequest?patient=${c.patientId}`, c.admin.accessToken);
    ownPrescriptionId = p.body.entry[0].resource.id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  const ids = (bundle: any) => (bundle.entry ?? []).map((e: any) => e.resource.id);
  const patientsOf = (bundle: any) => new Set((bundle.entry ?? []).map((e: any) => e.resource.subject?.reference ?? e.resource.patient?.reference));

  it("patient/Observation.rs reads the patient's Observations and nothing else (403 OperationOutcome)", async () => {
    const tok = (await connect(server.origin, c.patientUser, clientId, "launch/patient patient/Observation.rs")).access_token;
    const obs = await fhirGet(server.fhir, "Observation", tok);
    expect(obs.status).toBe(200);
    expect(obs.body.total).toBeGreaterThan(0);
    expect([...patientsOf(obs.body)]).toEqual([`Patient/${c.patientId}`]);
    for (const path of ["MedicationRequest", `MedicationRequest/${ownPrescriptionId}`, `Patient/${c.patientId}`, `Patient/${c.patientId}/$everything`]) {
      const r = await fhirGet(server.fhir, path, tok);
      expect(r.status, path).toBe(403);
      expect(r.body.resourceType).toBe("OperationOutcome");
      expect(r.body.issue[0].code).toBe("forbidden");
    }
  });

  it("patient/*.rs reaches the launch patient only: other patients are not found or absent", async () => {
    const tok = (await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs")).access_token;
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}`, tok)).status).toBe(200);
    expect((await fhirGet(server.fhir, `MedicationRequest/${ownPrescriptionId}`, tok)).status).toBe(200);
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}/$everything`, tok)).status).toBe(200);
    expect((await fhirGet(server.fhir, `Patient/${c.otherPatientId}`, tok)).status).toBe(404);
    expect((await fhirGet(server.fhir, `Patient/${c.otherPatientId}/$everything`, tok)).status).toBe(404);
    expect((await fhirGet(server.fhir, `Patient/${c.otherPatientId}/Observation`, tok)).status).toBe(404);
    expect((await fhirGet(server.fhir, `Observation/${otherObservationId}`, tok)).status).toBe(404);
    const asked = await fhirGet(server.fhir, `Observation?patient=${c.otherPatientId}`, tok);
    expect(asked.status).toBe(200);
    expect(ids(asked.body)).toEqual([]);
    const patients = await fhirGet(server.fhir, "Patient", tok);
    expect(ids(patients.body)).toEqual([c.patientId]);
  });

  it("a clinician's user/*.rs token reads what the clinician may (their patient), not others'", async () => {
    const tok = (await connect(server.origin, c.attending, clientId, "openid fhirUser user/*.rs")).access_token;
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}`, tok)).status).toBe(200);
    expect((await fhirGet(server.fhir, `Patient/${c.otherPatientId}`, tok)).status).toBe(404);
    expect((await fhirGet(server.fhir, `Observation/${otherObservationId}`, tok)).status).toBe(404);
    const all = await fhirGet(server.fhir, "Patient", tok);
    expect(ids(all.body)).toContain(c.patientId);
    expect(ids(all.body)).not.toContain(c.otherPatientId);
  });

  it("patient-context scopes are not offered to a clinician (no patient record of their own): nothing to grant → access_denied", async () => {
    const r = await authorize(server.origin, c.attending, { clientId, scope: "launch/patient patient/*.rs", approve: ["launch/patient", "patient/*.rs"] });
    expect(r.location?.searchParams.get("error")).toBe("access_denied");
    expect(r.location?.searchParams.get("code")).toBeNull();
  });

  it("reads name the app in the audit trail; the patient's access log shows it", async () => {
    const tok = (await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs")).access_token;
    await fhirGet(server.fhir, `Patient/${c.patientId}`, tok);
    const log = await getAccessLog(c.patientUser.session, c.patientId, {}, {});
    expect(log.data.some((e) => e.via === "Health Tracker")).toBe(true);
  });

  it("an app token reaches /fhir/R4 reads only: not the JSON API, not FHIR writes", async () => {
    const tok = (await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs")).access_token;
    expect((await call(myApps.GET, { token: tok })).status).toBe(401);
    const post = await call(fhirRoot.POST, { token: tok, body: { resourceType: "Bundle", type: "transaction", entry: [] }, headers: { "content-type": "application/fhir+json" } });
    expect(post.status).toBe(401);
    expect((await fhirGet(server.fhir, "Patient", "not-a-real-token-but-looks-like-one-xxxxxxxxxxx")).status).toBe(401);
  });

  it("connected apps: listed with last use; disconnecting stops every token at once", async () => {
    const a = await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs offline_access");
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}`, a.access_token)).status).toBe(200);
    const list = await call(myApps.GET, { token: c.patientUser.accessToken });
    expect(list.status).toBe(200);
    const mine = list.body.data.find((x: any) => x.client_id === clientId);
    expect(mine.name).toBe("Health Tracker");
    expect(mine.last_used_at).not.toBeNull();
    expect(mine.scopes.map((s: any) => s.scope)).toContain("patient/*.rs");
    // someone else's list does not show it; someone else cannot disconnect it
    const other = await call(myApps.GET, { token: c.otherPatientUser.accessToken });
    expect(other.body.data.find((x: any) => x.client_id === clientId)).toBeUndefined();
    expect((await call(myApp.DELETE, { token: c.otherPatientUser.accessToken, params: { client_id: clientId }, method: "DELETE" })).status).toBe(404);
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}`, a.access_token)).status).toBe(200);

    expect((await call(myApp.DELETE, { token: c.patientUser.accessToken, params: { client_id: clientId }, method: "DELETE" })).status).toBe(204);
    expect((await fhirGet(server.fhir, `Patient/${c.patientId}`, a.access_token)).status).toBe(401);
    const refresh = await fetch(`${server.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: a.refresh_token!, client_id: clientId }).toString(),
    });
    expect((await refresh.json()).error).toBe("invalid_grant");
    expect((await call(myApps.GET, { token: c.patientUser.accessToken })).body.data.find((x: any) => x.client_id === clientId)).toBeUndefined();
  });

  it("admins register, list and disable apps; a disabled app's tokens stop and it cannot start a flow", async () => {
    expect((await call(adminApps.POST, { token: c.attending.accessToken, body: { name: "X", redirect_uris: ["https://x.example/cb"], scopes: ["patient/*.rs"] } })).status).toBe(403);
    expect((await call(adminApps.POST, { token: c.admin.accessToken, body: { name: "X", redirect_uris: ["http://x.example/cb"], scopes: ["patient/*.rs"] } })).status).toBe(422);
    expect((await call(adminApps.POST, { token: c.admin.accessToken, body: { name: "X", redirect_uris: ["https://x.example/cb"], scopes: ["patient/*.write"] } })).status).toBe(422);
    const created = await call(adminApps.POST, { token: c.admin.accessToken, body: { name: "Step Counter", redirect_uris: ["http://localhost:9999/callback"], confidential: false, scopes: ["launch/patient", "patient/Observation.rs"] } });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    const id = created.body.client_id;
    const list = await call(adminApps.GET, { token: c.admin.accessToken });
    expect(list.body.data.map((a: any) => a.client_id)).toContain(id);
    expect((await call(adminApps.GET, { token: c.patientUser.accessToken })).status).toBe(403);

    const tok = (await connect(server.origin, c.patientUser, id, "launch/patient patient/Observation.rs")).access_token;
    expect((await fhirGet(server.fhir, "Observation", tok)).status).toBe(200);
    expect((await call(adminApp.PATCH, { token: c.patientUser.accessToken, params: { client_id: id }, body: { disabled: true }, method: "PATCH" })).status).toBe(403);
    const off = await call(adminApp.PATCH, { token: c.admin.accessToken, params: { client_id: id }, body: { disabled: true }, method: "PATCH" });
    expect(off.status).toBe(200);
    expect(off.body.disabled).toBe(true);
    expect((await fhirGet(server.fhir, "Observation", tok)).status).toBe(401);
    const again = await fetch(`${server.origin}/oauth/auth?${new URLSearchParams({ response_type: "code", client_id: id, redirect_uri: "http://localhost:9999/callback", scope: "patient/Observation.rs", code_challenge: "x".repeat(43), code_challenge_method: "S256" })}`, { redirect: "manual" });
    expect(again.status).toBe(400); // unknown client: an error page, no redirect
    // enabled again: the old token stays dead (the connection ended)
    expect((await call(adminApp.PATCH, { token: c.admin.accessToken, params: { client_id: id }, body: { disabled: false }, method: "PATCH" })).status).toBe(200);
    expect((await fhirGet(server.fhir, "Observation", tok)).status).toBe(401);
  });
});
