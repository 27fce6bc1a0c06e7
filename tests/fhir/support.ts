import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { asService } from "@/core/db/with-user";
import { addToCareTeam, createPatient, createUser, type TestUser } from "../support/seed";
import * as catchAll from "@/app/fhir/R4/[...path]/route";
import * as metadata from "@/app/fhir/R4/metadata/route";

export interface Clinic {
  admin: TestUser;
  attending: TestUser;
  nurse: TestUser;
  outsider: TestUser;
  patientUser: TestUser;
  otherPatientUser: TestUser;
  /** P: on the team of attending and nurse, portal account patientUser. */
  patientId: string;
  /** Q: someone else's patient. */
  otherPatientId: string;
  deviceId: string;
  deviceToken: string;
  documentId: string;
  visitIds: string[];
  prescriptionIds: string[];
}

/**
 * A small clinic with one of everything the FHIR API serves: visits with vitals and a
 * diagnosis, prescriptions in every status, appointments, care-team messages, a wearable
 * with samples, a document; and a second patient nobody of the team may see.
 */
export async function seedClinic(): Promise<Clinic> {
  const admin = await createUser("admin", { fullName: "Ada Admin" });
  const attending = await createUser("provider", { fullName: "Grace Hopper" });
  const nurse = await createUser("provider", { fullName: "Florence Nightingale", credential: "registered_nurse" });
  const outsider = await createUser("provider", { fullName: "Otto Outsider" });
  const patientUser = await createUser("patient", { fullName: "Pat Patient" });
  const otherPatientUser = await createUser("patient", { fullName: "Quinn Other" });
  const patientId = await createPatient({ createdBy: attending.id, userId: patientUser.id, firstName: "Pat", lastName: "Fhirtest" });
  const otherPatientId = await createPatient({ createdBy: outsider.id, userId: otherPatientUser.id, firstName: "Quinn", lastName: "Hidden" });
  await addToCareTeam(patientId, attending.id, "attending");
  await addToCareTeam(patientId, nurse.id, "nurse");
  await addToCareTeam(otherPatientId, outsider.id, "attending");
  const deviceToken = `dev-${randomUUID()}`;
  const ids = await asService("test seeding", async (tx) => {
    await tx.updateTable("patients").set({
      emergency_contact: JSON.stringify({ name: "Sam Contact", phone: "+1 555 0100", relationship: "spouse" }),
      address: "1 Main Street, Springfield",
      allergies: ["penicillin", "latex"],
    }).where("id", "=", patientId).execute();
    const visitIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await tx.insertInto("visits").values({
        patient_id: patientId,
        provider_id: attending.id,
        visit_date: new Date(Date.UTC(2026, 0, 10 + i, 9)),
        chief_complaint: `Cough, day ${i}`,
        diagnosis: i === 2 ? null : "Acute bronchitis",
        notes: "Rest and fluids.",
        vitals: JSON.stringify({ blood_pressure: "120/80", heart_rate: 72 + i, temperature_c: 37.2, spo2: 97, weight_kg: 70.5, respiratory_rate: 16, height_cm: 172 }),
      }).returning("id").executeTakeFirstOrThrow();
      visitIds.push(id);
    }
    await tx.insertInto("visits").values({ patient_id: otherPatientId, provider_id: outsider.id, visit_date: new Date(), chief_complaint: "Hidden", vitals: JSON.stringify({ heart_rate: 60 }) }).execute();
    const prescriptionIds: string[] = [];
    for (const status of ["active", "completed", "discontinued"] as const) {
      const { id } = await tx.insertInto("prescriptions").values({
        patient_id: patientId, prescriber_id: attending.id, visit_id: visitIds[0], medication: `Drug ${status}`, dosage: "10 mg", frequency: "twice daily",
        start_date: "2026-01-10", end_date: status === "active" ? null : "2026-01-20",
      }).returning("id").executeTakeFirstOrThrow();
      if (status !== "active") {
        await tx.updateTable("prescriptions").set({ status, status_reason: status === "discontinued" ? "Side effects" : null }).where("id", "=", id).execute();
      }
      prescriptionIds.push(id);
    }
    await tx.insertInto("appointments").values({ patient_id: patientId, provider_id: attending.id, starts_at: new Date(Date.UTC(2026, 5, 1, 10)), ends_at: new Date(Date.UTC(2026, 5, 1, 10, 30)), status: "confirmed", reason: "Follow-up" }).execute();
    await tx.insertInto("appointments").values({ patient_id: patientId, provider_id: attending.id, starts_at: new Date(Date.UTC(2026, 5, 2, 10)), ends_at: new Date(Date.UTC(2026, 5, 2, 10, 30)), status: "requested", reason: "Question" }).execute();
    await tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: nurse.id, message: "Patient called about the cough.", priority: "urgent" }).execute();
    const { id: deviceId } = await tx.insertInto("devices").values({ patient_id: patientId, name: "Wrist watch", token_hash: randomUUID().replace(/-/g, "") }).returning("id").executeTakeFirstOrThrow();
    const samples = [];
    for (let i = 0; i < 12; i++) {
      const at = new Date(Date.UTC(2026, 1, 1, 8, i));
      samples.push({ patient_id: patientId, device_id: deviceId, metric: "heart_rate" as const, value: 60 + i, unit: "bpm", recorded_at: at });
      samples.push({ patient_id: patientId, device_id: deviceId, metric: "steps" as const, value: 100 * i, unit: "count", recorded_at: at });
    }
    samples.push({ patient_id: patientId, device_id: deviceId, metric: "bp_systolic" as const, value: 118, unit: "mmHg", recorded_at: new Date(Date.UTC(2026, 1, 2)) });
    samples.push({ patient_id: patientId, device_id: deviceId, metric: "bp_diastolic" as const, value: 79, unit: "mmHg", recorded_at: new Date(Date.UTC(2026, 1, 2)) });
    samples.push({ patient_id: patientId, device_id: deviceId, metric: "temperature" as const, value: 36.9, unit: "C", recorded_at: new Date(Date.UTC(2026, 1, 2)) });
    samples.push({ patient_id: patientId, device_id: deviceId, metric: "weight" as const, value: 70.1, unit: "kg", recorded_at: new Date(Date.UTC(2026, 1, 2)) });
    samples.push({ patient_id: patientId, device_id: deviceId, metric: "spo2" as const, value: 98, unit: "%", recorded_at: new Date(Date.UTC(2026, 1, 2)) });
    await tx.insertInto("vitals").values(samples).execute();
    const objectKey = `${patientId}/${randomUUID()}`;
    await tx.insertInto("storage.objects").values({ bucket_id: "medical-documents", name: objectKey, owner: attending.id }).execute();
    const { id: documentId } = await tx.insertInto("documents").values({
      patient_id: patientId, uploaded_by: attending.id, object_key: objectKey, document_type: "lab_result", description: "Blood panel",
      original_name: "labs.pdf", content_type: "application/pdf", size_bytes: 1234, sha256: "a".repeat(64),
    }).returning("id").executeTakeFirstOrThrow();
    return { visitIds, prescriptionIds, deviceId, documentId };
  });
  return { admin, attending, nurse, outsider, patientUser, otherPatientUser, patientId, otherPatientId, deviceToken, ...ids };
}

export const FHIR_TYPES = [
  "Patient", "Practitioner", "CareTeam", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest",
  "Observation", "DocumentReference", "Appointment", "Communication", "Device", "AuditEvent",
] as const;

type Handler = (req: Request, ctx: { params: Promise<Record<string, unknown>> }) => Promise<Response>;

/**
 * A real HTTP server in front of the /fhir/R4 route handlers (the same functions Next
 * calls), so that outside clients (fhir-kit-client) talk HTTP to them.
 */
export async function startFhirServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(url, { method: req.method, headers });
      let response: Response;
      const rest = url.pathname.replace(/^\/fhir\/R4\/?/, "");
      if (!url.pathname.startsWith("/fhir/R4")) response = new Response("not found", { status: 404 });
      else if (rest === "metadata") response = await (metadata.GET as unknown as Handler)(request, { params: Promise.resolve({}) });
      else {
        const method = (req.method ?? "GET") as "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
        const handler = (catchAll as unknown as Record<string, Handler>)[method];
        response = await handler(request, { params: Promise.resolve({ path: rest.split("/").filter(Boolean) }) });
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://localhost:${port}/fhir/R4`, close: () => new Promise((r) => server.close(() => r())) };
}

/** GET against the server; the body parsed as JSON. */
export async function fhirGet(base: string, path: string, token?: string): Promise<{ status: number; type: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: text ? JSON.parse(text) : null };
}
