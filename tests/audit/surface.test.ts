/**
 * The API surface, walked as every role: each request that answers with PHI must leave
 * exactly the audit records it owes (no PHI read without a record), and each refused
 * request must leave none that claims PHI was shown or changed.
 *
 * How to read a row of SURFACE: the endpoint, its handler, the status each actor gets,
 * how to build the request (fresh fixtures where a call changes state), and the records a
 * successful call must leave. Every record is checked for its action, kind (table_name),
 * patient, record id / records listed, actor, actor role and request id; the record list
 * must match exactly (count included). On top of the row's own expectation, a generic
 * check finds every patient id in a JSON answer and insists a record names that patient.
 *
 * Adding an endpoint is one row. Runs on PGlite and, with TEST_DATABASE_URL, PostgreSQL.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { auditRecordsSince, lastAuditId, type AuditRow } from "../support/audit";
import { useObjectStore } from "@/core/storage";
import { LocalObjectStore } from "@/core/storage/local-store";
import { GET as listPatients, POST as registerPatient } from "@/app/api/v1/patients/route";
import { GET as getPatient, PATCH as patchPatient } from "@/app/api/v1/patients/[id]/route";
import { GET as getMyPatient } from "@/app/api/v1/me/patient/route";
import { GET as listVisits, POST as createVisit } from "@/app/api/v1/patients/[id]/visits/route";
import { GET as listPrescriptions, POST as createPrescription } from "@/app/api/v1/patients/[id]/prescriptions/route";
import { PATCH as patchPrescription } from "@/app/api/v1/prescriptions/[id]/route";
import { GET as prescriptionPdf } from "@/app/api/v1/prescriptions/[id]/pdf/route";
import { GET as listAppointments, POST as requestAppointment } from "@/app/api/v1/patients/[id]/appointments/route";
import { PATCH as patchAppointment } from "@/app/api/v1/appointments/[id]/route";
import { GET as listCareTeam, POST as addCareTeamMember } from "@/app/api/v1/patients/[id]/care-team/route";
import { DELETE as removeCareTeamMember } from "@/app/api/v1/patients/[id]/care-team/[provider_id]/route";
import { GET as listDocuments, POST as uploadDocument } from "@/app/api/v1/patients/[id]/documents/route";
import { POST as issueSignedUrl } from "@/app/api/v1/documents/[id]/signed-url/route";
import { POST as reviewDocument } from "@/app/api/v1/documents/[id]/review/route";
import { DELETE as deleteDocument } from "@/app/api/v1/documents/[id]/route";
import { GET as downloadFile } from "@/app/api/v1/files/[token]/route";
import { GET as listMessages, POST as postMessage } from "@/app/api/v1/patients/[id]/messages/route";
import { GET as getVitals } from "@/app/api/v1/patients/[id]/vitals/route";
import { POST as ingestVitals } from "@/app/api/v1/vitals/route";
import { GET as listDevices, POST as registerDevice } from "@/app/api/v1/devices/route";
import { DELETE as revokeDevice } from "@/app/api/v1/devices/[id]/route";
import { GET as getAccessLog } from "@/app/api/v1/patients/[id]/access-log/route";
import { GET as listAudit } from "@/app/api/v1/admin/audit/route";
import { GET as exportAudit } from "@/app/api/v1/admin/audit/export/route";
import { POST as createInvite } from "@/app/api/v1/patients/[id]/invite/route";

const ROLES = ["admin", "attending", "nurse", "outsider", "patient"] as const;
type Role = (typeof ROLES)[number];
/** Who sends the request: a role's user, a wearable's token, or nobody. */
type Actor = Role | "device" | "anon";

interface World {
  users: Record<Role, TestUser>;
  /** P: registered by the attending, the nurse on its team, its portal account is `patient`. */
  P: string;
  /** Q: the outsider's own patient (the outsider treats Q, not P). */
  Q: string;
  visit: string;
  prescription: string;
  appointment: string;
  message: string;
  device: string;
  deviceToken: string;
  document: string;
  /** The spare provider the admin adds to / removes from P's care team. */
  spare: TestUser;
}

/** One record as a row expects it. `records` is details.records (ids shown); omitted = not checked. */
interface Expected {
  action: string;
  /** table_name: the table written, the kind of read, or null for an account event. */
  table: string | null;
  patient: string | null;
  record?: string | null;
  records?: string[];
  /** Other details keys the record must carry. */
  details?: Record<string, unknown>;
  /** Keys new_row must carry (a write's row image). */
  image?: Record<string, unknown>;
}

interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  form?: FormData;
  method?: string;
  /** Overrides the bearer token (a device token; "" for none). */
  token?: string;
  /** The id of a fixture the request is about but does not name (a signed URL's document). */
  fixture?: string;
}

interface Res {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  requestId: string;
}

interface Row {
  endpoint: string;
  handler: unknown;
  /** The status each actor gets; actors not listed are not tried. */
  status: Partial<Record<Actor, number>>;
  request: (w: World, as: Actor) => Req | Promise<Req>;
  /** The records one successful call leaves (any order); the generic checks run as well. */
  records: (w: World, as: Actor, res: Res, req: Req) => Expected[] | Promise<Expected[]>;
  /** The request carries its own credential (a signed URL): no "anonymous → 401" probe. */
  linkIsCredential?: true;
  /** The actor id / role the records name, when not the caller's (the device's ingest). */
  actor?: (w: World, as: Actor) => { id: string | null; role: string };
}

const ALL_STAFF_AND_PATIENT = (ok: number, outsider = 404, patient = ok) => ({ admin: ok, attending: ok, nurse: ok, outsider, patient });
const hex = (n: number) => randomBytes(n).toString("hex");
const pdf = (marker = "LAB") => Buffer.from(`%PDF-1.4\n% ${marker}\n${"stream x endstream\n".repeat(20)}`);
const later = (days: number, minutes = 0) => new Date(Date.now() + days * 86400_000 + minutes * 60_000).toISOString();

function uploadForm(description = "CBC panel"): FormData {
  const fd = new FormData();
  fd.set("document_type", "lab_result");
  fd.set("description", description);
  fd.set("file", new Blob([new Uint8Array(pdf(hex(4)))], { type: "application/pdf" }), "cbc.pdf");
  return fd;
}

// ---------------------------------------------------------------------------------- fixtures

/** A fresh row for calls that change state, inserted on the service path. */
async function insertReturningId(q: ReturnType<typeof sql<{ id: string }>>): Promise<string> {
  return serviceQuery(async (tx) => String((await q.execute(tx)).rows[0].id));
}
const freshPrescription = (w: World) =>
  insertReturningId(sql<{ id: string }>`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
    values (${w.P}, ${w.users.attending.id}, 'Amoxicillin', '500 mg', 'three times daily', current_date) returning id`);
/** At a time of its own, so that confirming it never clashes with another confirmed slot. */
let slot = 0;
const freshAppointment = (w: World) =>
  insertReturningId(sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by)
    select ${w.P}, ${w.users.attending.id}, t, t + interval '30 minutes', 'Follow-up', ${w.users.patient.id}
      from (select date_trunc('hour', now()) + make_interval(days => 30, hours => ${++slot}) as t) s returning id`);
const freshDevice = (w: World) =>
  insertReturningId(sql<{ id: string }>`insert into public.devices (patient_id, name, token_hash) values (${w.P}, 'Ring', ${hex(32)}) returning id`);

/** Uploads a document to P as the attending, through the route. */
async function freshDocument(w: World): Promise<string> {
  const res = await send(uploadDocument, w.users.attending.accessToken, { params: { id: w.P }, form: uploadForm() });
  if (res.status !== 201) throw new Error(`fixture upload failed: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** A signed URL issued to `as` for a fresh document (issued before the row's own call, so its records are not the row's). */
async function freshSignedUrlToken(w: World, as: Role): Promise<{ token: string; document: string }> {
  const document = await freshDocument(w);
  const res = await send(issueSignedUrl, w.users[as].accessToken, { params: { id: document } });
  if (res.status !== 200) throw new Error(`fixture signed URL failed for ${as}: ${res.status}`);
  return { token: new URL(res.body.url).pathname.split("/").pop()!, document };
}

// ---------------------------------------------------------------------------------- the surface

const read = (table: string, patient: string, records?: string[], details?: Record<string, unknown>): Expected => ({
  action: "read", table, patient, records, details,
});
const write = (action: "insert" | "update" | "delete", table: string, patient: string, record: string): Expected => ({
  action, table, patient, record,
});
const ids = (data: { id: string }[]) => data.map((d) => d.id);

// prettier-ignore
const SURFACE: Row[] = [
  // ---- patients
  {
    endpoint: "GET /api/v1/patients",
    handler: listPatients,
    status: ALL_STAFF_AND_PATIENT(200, 200),
    request: () => ({ query: { limit: "100" } }),
    // one record per patient shown
    records: (_w, _as, res) => ids(res.body.data).map((p) => read("patient_list", p, [], { count: res.body.data.length })),
  },
  {
    endpoint: "GET /api/v1/patients?search=",
    handler: listPatients,
    status: ALL_STAFF_AND_PATIENT(200, 200),
    request: async (w) => ({ query: { search: (await lastName(w.P)).slice(0, 8) } }),
    records: (w, as, res) => {
      expect(ids(res.body.data), `${as} searches for P`).toEqual(as === "outsider" ? [] : [w.P]);
      return ids(res.body.data).map((p) => read("patient_list", p, [], { count: res.body.data.length }));
    },
  },
  {
    endpoint: "POST /api/v1/patients",
    handler: registerPatient,
    status: { admin: 201, attending: 201, nurse: 201, outsider: 201, patient: 403 },
    request: () => ({ body: { first_name: "Nell", last_name: `New${hex(3)}`, date_of_birth: "1991-05-06", gender: "female", mrn: `MRN-${hex(5)}` } }),
    // the registering provider joins the care team as attending (a trigger): its own record
    records: async (_w, as, res) => [
      write("insert", "patients", res.body.id, res.body.id),
      ...(as === "admin" ? [] : [write("insert", "care_team", res.body.id, await careTeamRowOf(res.body.id, (await registrant(res.body.id))))]),
    ],
  },
  {
    endpoint: "GET /api/v1/patients/{id}",
    handler: getPatient,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w) => [read("patient_chart", w.P, [w.P])],
  },
  {
    endpoint: "PATCH /api/v1/patients/{id}",
    handler: patchPatient,
    status: ALL_STAFF_AND_PATIENT(200, 404, 403),
    request: (w) => ({ method: "PATCH", params: { id: w.P }, body: { address: `${Math.floor(Math.random() * 900) + 1} Elm Street` } }),
    // the answer is the row just written: the update record carries it (new_row)
    records: (w) => [write("update", "patients", w.P, w.P)],
  },
  {
    endpoint: "GET /api/v1/me/patient",
    handler: getMyPatient,
    status: { admin: 404, attending: 404, nurse: 404, outsider: 404, patient: 200 },
    request: () => ({}),
    records: (w) => [read("patient_chart", w.P, [w.P])],
  },
  // ---- visits
  {
    endpoint: "GET /api/v1/patients/{id}/visits",
    handler: listVisits,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => {
      expect(ids(res.body.data)).toContain(w.visit);
      return [read("visits", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/patients/{id}/visits",
    handler: createVisit,
    status: { admin: 403, attending: 201, nurse: 201, outsider: 404, patient: 403 },
    request: (w) => ({ params: { id: w.P }, body: { visit_date: new Date().toISOString(), chief_complaint: "Sore throat", diagnosis: "Pharyngitis" } }),
    records: (w, _as, res) => [write("insert", "visits", w.P, res.body.id)],
  },
  // ---- prescriptions
  {
    endpoint: "GET /api/v1/patients/{id}/prescriptions",
    handler: listPrescriptions,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => {
      expect(ids(res.body.data)).toContain(w.prescription);
      return [read("prescriptions", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/patients/{id}/prescriptions",
    handler: createPrescription,
    status: { admin: 403, attending: 201, nurse: 403, outsider: 404, patient: 403 },
    request: (w) => ({ params: { id: w.P }, body: { medication: "Ibuprofen", dosage: "200 mg", frequency: "as needed", start_date: new Date().toISOString().slice(0, 10) } }),
    records: (w, _as, res) => [write("insert", "prescriptions", w.P, res.body.id)],
  },
  {
    endpoint: "PATCH /api/v1/prescriptions/{id}",
    handler: patchPrescription,
    status: { admin: 403, attending: 200, nurse: 403, outsider: 404, patient: 403 },
    request: async (w) => ({ method: "PATCH", params: { id: await freshPrescription(w) }, body: { is_active: false } }),
    // the row's update, and the status change as an event (active → completed)
    records: (w, _as, _res, req) => [write("update", "prescriptions", w.P, req.params!.id), { action: "prescription.status_changed", table: null, patient: w.P }],
  },
  {
    endpoint: "GET /api/v1/prescriptions/{id}/pdf",
    handler: prescriptionPdf,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.prescription } }),
    records: (w) => [read("prescription_pdf", w.P, [w.prescription])],
  },
  // ---- appointments
  {
    endpoint: "GET /api/v1/patients/{id}/appointments",
    handler: listAppointments,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => {
      expect(ids(res.body.data)).toContain(w.appointment);
      return [read("appointments", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/patients/{id}/appointments",
    handler: requestAppointment,
    status: { admin: 403, attending: 201, nurse: 201, outsider: 404, patient: 201 },
    // providers book confirmed slots (never overlapping): a day of its own per actor
    request: (w, as) => {
      const day = 20 + ["admin", "attending", "nurse", "outsider", "patient"].indexOf(as);
      return { params: { id: w.P }, body: { provider_id: w.users.attending.id, starts_at: later(day), ends_at: later(day, 30), reason: "Check-up" } };
    },
    records: (w, _as, res) => [write("insert", "appointments", w.P, res.body.id)],
  },
  {
    endpoint: "PATCH /api/v1/appointments/{id}",
    handler: patchAppointment,
    status: { admin: 403, attending: 200, nurse: 200, outsider: 404, patient: 200 },
    request: async (w, as) => ({ method: "PATCH", params: { id: await freshAppointment(w) }, body: { status: as === "patient" ? "cancelled" : "confirmed" } }),
    records: (w, _as, _res, req) => [write("update", "appointments", w.P, req.params!.id)],
  },
  // ---- care team
  {
    endpoint: "GET /api/v1/patients/{id}/care-team",
    handler: listCareTeam,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => [read("care_team", w.P, res.body.data.map((m: { provider_id: string }) => m.provider_id))],
  },
  {
    endpoint: "POST /api/v1/patients/{id}/care-team",
    handler: addCareTeamMember,
    // the attending manages their patient's team too (issue #15)
    status: { admin: 201, attending: 201, nurse: 403, outsider: 404, patient: 403 },
    request: async (w) => {
      await serviceQuery((tx) => sql`delete from public.care_team where patient_id = ${w.P} and provider_id = ${w.spare.id}`.execute(tx));
      return { params: { id: w.P }, body: { provider_id: w.spare.id, role: "specialist" } };
    },
    records: async (w) => [write("insert", "care_team", w.P, await careTeamRowOf(w.P, w.spare.id))],
  },
  {
    endpoint: "DELETE /api/v1/patients/{id}/care-team/{provider_id}",
    handler: removeCareTeamMember,
    status: { admin: 204, attending: 204, nurse: 403, outsider: 404, patient: 403 },
    request: async (w) => {
      await addToCareTeam(w.P, w.spare.id, "specialist");
      return { method: "DELETE", params: { id: w.P, provider_id: w.spare.id }, fixture: await careTeamRowOf(w.P, w.spare.id) };
    },
    records: (w, _as, _res, req) => [write("delete", "care_team", w.P, req.fixture!)],
  },
  // ---- documents
  {
    endpoint: "GET /api/v1/patients/{id}/documents",
    handler: listDocuments,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => {
      expect(ids(res.body.data)).toContain(w.document);
      return [read("documents", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/patients/{id}/documents",
    handler: uploadDocument,
    status: { admin: 403, attending: 201, nurse: 201, outsider: 404, patient: 403 },
    request: (w) => ({ params: { id: w.P }, form: uploadForm() }),
    records: (w, _as, res) => [write("insert", "documents", w.P, res.body.id)],
  },
  {
    endpoint: "POST /api/v1/documents/{id}/signed-url",
    handler: issueSignedUrl,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.document } }),
    records: (w) => [read("signed_url", w.P, [w.document])],
  },
  {
    endpoint: "GET /api/v1/files/{token} (the signed URL, no other credentials)",
    handler: downloadFile,
    status: { admin: 200, attending: 200, nurse: 200, patient: 200 },
    linkIsCredential: true,
    request: async (w, as) => {
      const { token, document } = await freshSignedUrlToken(w, as as Role);
      return { params: { token }, token: "", fixture: document };
    },
    records: (w, _as, _res, req) => [read("document_download", w.P, [req.fixture!])],
  },
  {
    endpoint: "POST /api/v1/documents/{id}/review",
    handler: reviewDocument,
    status: { admin: 403, attending: 200, nurse: 200, outsider: 404, patient: 403 },
    request: async (w) => ({ method: "POST", params: { id: await freshDocument(w) } }),
    records: (w, _as, _res, req) => [write("update", "documents", w.P, req.params!.id)],
  },
  {
    endpoint: "POST /api/v1/documents/{id}/review (already reviewed)",
    handler: reviewDocument,
    status: { attending: 200, nurse: 200 },
    request: async (w) => {
      const id = await freshDocument(w);
      await serviceQuery((tx) => sql`update public.documents set reviewed_at = now(), reviewed_by = ${w.users.attending.id} where id = ${id}`.execute(tx));
      return { method: "POST", params: { id } };
    },
    // nothing is written, but the document is shown: a read record
    records: (w, _as, _res, req) => [read("documents", w.P, [req.params!.id])],
  },
  {
    endpoint: "DELETE /api/v1/documents/{id}",
    handler: deleteDocument,
    status: { admin: 403, attending: 204, nurse: 403, outsider: 404, patient: 403 },
    request: async (w) => ({ method: "DELETE", params: { id: await freshDocument(w) }, body: { reason: "Duplicate upload" } }),
    records: (w, _as, _res, req) => [write("update", "documents", w.P, req.params!.id)],
  },
  // ---- care-team messages (staff only)
  {
    endpoint: "GET /api/v1/patients/{id}/messages",
    handler: listMessages,
    status: ALL_STAFF_AND_PATIENT(200, 404, 403),
    request: (w) => ({ params: { id: w.P } }),
    records: (w, _as, res) => {
      expect(ids(res.body.data)).toContain(w.message);
      return [read("messages", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/patients/{id}/messages",
    handler: postMessage,
    status: { admin: 403, attending: 201, nurse: 201, outsider: 404, patient: 403 },
    request: (w) => ({ params: { id: w.P }, body: { message: "Labs are back", priority: "normal" } }),
    records: (w, _as, res) => [write("insert", "care_messages", w.P, res.body.id)],
  },
  // ---- vitals and devices
  {
    endpoint: "GET /api/v1/patients/{id}/vitals",
    handler: getVitals,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P }, query: { bucket: "raw" } }),
    records: (w, _as, res) => {
      expect(res.body.data.length).toBeGreaterThan(0);
      return [read("vitals", w.P, ids(res.body.data), { samples: res.body.data.length })];
    },
  },
  {
    endpoint: "GET /api/v1/patients/{id}/vitals (server-side buckets)",
    handler: getVitals,
    status: ALL_STAFF_AND_PATIENT(200),
    request: (w) => ({ params: { id: w.P }, query: { bucket: "1h" } }),
    records: (w, _as, res) => [read("vitals", w.P, [], { bucket_seconds: 3600, buckets: res.body.data.length })],
  },
  {
    endpoint: "POST /api/v1/vitals (device token)",
    handler: ingestVitals,
    status: { device: 202, patient: 401 },
    request: (w, as) => ({
      token: as === "device" ? w.deviceToken : w.users.patient.accessToken,
      body: { samples: [0, 1, 2].map((i) => ({ metric: "heart_rate", value: 60 + i, unit: "bpm", recorded_at: new Date(Date.now() - 3_600_000 - Math.random() * 3_600_000 + i).toISOString() })) },
    }),
    // one record per batch and patient, not per sample
    records: (w) => [
      { action: "insert", table: "vitals", patient: w.P, record: null, image: { count: 3, device_ids: [w.device] } },
      write("update", "devices", w.P, w.device), // last_seen_at
    ],
    // a device is not a user: no actor id; the batch's row image names the device
    actor: () => ({ id: null, role: "device" }),
  },
  {
    endpoint: "GET /api/v1/devices",
    handler: listDevices,
    status: ALL_STAFF_AND_PATIENT(200, 200),
    request: (w, as): Req => ({ query: as === "outsider" ? {} : { patient_id: w.P } }),
    records: (w, as, res) => {
      if (as === "outsider") {
        expect(res.body.data).toEqual([]);
        return [];
      }
      expect(ids(res.body.data)).toContain(w.device);
      return [read("devices", w.P, ids(res.body.data))];
    },
  },
  {
    endpoint: "POST /api/v1/devices",
    handler: registerDevice,
    status: { admin: 403, attending: 403, nurse: 403, outsider: 403, patient: 201 },
    request: () => ({ body: { name: "Wrist watch" } }),
    records: (w, _as, res) => [write("insert", "devices", w.P, res.body.device_id)],
  },
  {
    endpoint: "DELETE /api/v1/devices/{id}",
    handler: revokeDevice,
    status: { admin: 403, attending: 404, nurse: 404, outsider: 404, patient: 204 },
    request: async (w) => ({ method: "DELETE", params: { id: await freshDevice(w) } }),
    records: (w, _as, _res, req) => [write("update", "devices", w.P, req.params!.id)],
  },
  // ---- invites
  {
    endpoint: "POST /api/v1/patients/{id}/invite",
    handler: createInvite,
    status: { admin: 201, attending: 201, nurse: 201, outsider: 404, patient: 403 },
    request: (w) => ({ params: { id: w.P }, body: {} }),
    records: (w) => [
      { action: "insert", table: "invites", patient: w.P },
      { action: "auth.invite_created", table: null, patient: w.P },
    ],
  },
  // ---- the trail itself
  {
    endpoint: "GET /api/v1/patients/{id}/access-log",
    handler: getAccessLog,
    status: { admin: 200, attending: 404, nurse: 404, outsider: 404, patient: 200 },
    request: (w) => ({ params: { id: w.P }, query: { limit: "20" } }),
    records: (w, _as, res) => [read("access_log", w.P, ids(res.body.data))],
  },
  {
    endpoint: "GET /api/v1/admin/audit",
    handler: listAudit,
    status: { admin: 200, attending: 403, nurse: 403, outsider: 403, patient: 403 },
    request: (w) => ({ query: { patient: w.P, limit: "20" } }),
    records: (w, _as, res) => [read("audit_trail", w.P, ids(res.body.data), { filters: { patient: w.P } })],
  },
  {
    endpoint: "GET /api/v1/admin/audit/export",
    handler: exportAudit,
    status: { admin: 200, attending: 403, nurse: 403, outsider: 403, patient: 403 },
    request: (w) => ({ query: { patient: w.P, action: "read", table: "visits" } }),
    records: (w, _as, res) => {
      const lines = res.text.trim().split("\r\n").slice(1);
      expect(lines.length).toBeGreaterThan(0);
      return [read("audit_trail", w.P, lines.map((l) => l.split(",")[0]), { export: "csv" })];
    },
  },
];

/** The id of a provider's care_team row on a patient. */
const careTeamRowOf = (patient: string, provider: string) =>
  insertReturningId(sql<{ id: string }>`select id from public.care_team where patient_id = ${patient} and provider_id = ${provider}`);

// ---------------------------------------------------------------------------------- calling

/** Calls a route handler as Next would, with a request id of our own. */
async function send(handler: unknown, token: string | undefined, req: Req): Promise<Res> {
  const url = new URL("http://localhost/api/test");
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const requestId = randomUUID();
  const headers = new Headers({ "x-request-id": requestId, "user-agent": "surface-test" });
  if (token) headers.set("authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  if (req.form) body = req.form;
  else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers.set("content-type", "application/json");
  }
  const method = req.method ?? (body !== undefined ? "POST" : "GET");
  const res = await (handler as (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>)(
    new Request(url, { method, headers, body }),
    { params: Promise.resolve(req.params ?? {}) },
  );
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get("content-type") ?? "";
  const text = type.startsWith("application/pdf") ? "" : bytes.toString("utf8");
  return { status: res.status, body: type.includes("application/json") ? JSON.parse(text) : null, text, requestId };
}

async function registrant(patientId: string): Promise<string> {
  return serviceQuery(async (tx) => (await tx.selectFrom("patients").select("created_by").where("id", "=", patientId).executeTakeFirstOrThrow()).created_by!);
}

async function lastName(patientId: string): Promise<string> {
  return serviceQuery(async (tx) => (await tx.selectFrom("patients").select("last_name").where("id", "=", patientId).executeTakeFirstOrThrow()).last_name);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Every patient id that appears in the answer's text. */
async function patientsIn(text: string): Promise<string[]> {
  const found = [...new Set((text.match(UUID) ?? []).map((s) => s.toLowerCase()))];
  if (found.length === 0) return [];
  return serviceQuery(async (tx) => (await tx.selectFrom("patients").select("id").where("id", "in", found).execute()).map((r) => r.id));
}

const PHI_WRITES = new Set(["insert", "update", "delete"]);
const key = (e: Expected) => `${e.action} ${e.table ?? "-"} ${e.patient ?? "-"}`;

/** What went wrong with one call, or [] when all is as the row says. */
async function check(row: Row, w: World, as: Actor, req: Req, res: Res, rows: AuditRow[]): Promise<string[]> {
  const problems: string[] = [];
  const expected = row.status[as] ?? 401;
  if (res.status !== expected) return [`answered ${res.status}, expected ${expected}: ${res.text.slice(0, 200)}`];

  if (res.status >= 400) {
    // a refusal shows nothing and changes nothing
    const claims = rows.filter((r) => r.action === "read" || PHI_WRITES.has(r.action));
    if (claims.length > 0) problems.push(`refused, yet recorded ${claims.map((r) => `${r.action} ${r.table_name} ${r.patient_id}`).join("; ")}`);
    return problems;
  }

  const want = await row.records(w, as, res, req);
  const got = rows.map((r) => `${r.action} ${r.table_name ?? "-"} ${r.patient_id ?? "-"}`).sort();
  const wanted = want.map(key).sort();
  if (JSON.stringify(got) !== JSON.stringify(wanted)) {
    return [`records ${JSON.stringify(got)}, expected ${JSON.stringify(wanted)}`];
  }
  const actor = row.actor ? row.actor(w, as) : as === "device" || as === "anon" ? null : { id: w.users[as].id, role: w.users[as].role };
  for (const e of want) {
    const r = rows.find((x) => key(e) === `${x.action} ${x.table_name ?? "-"} ${x.patient_id ?? "-"}`)!;
    const label = key(e);
    if (actor && (r.actor_id !== actor.id || r.actor_role !== actor.role)) {
      problems.push(`${label}: actor ${r.actor_id}/${r.actor_role}, expected ${actor.id}/${actor.role}`);
    }
    if (r.request_id !== res.requestId) problems.push(`${label}: request_id ${r.request_id}, expected ${res.requestId}`);
    if (r.user_agent !== "surface-test") problems.push(`${label}: user_agent ${r.user_agent}`);
    if (e.record !== undefined && r.record_id !== e.record) problems.push(`${label}: record_id ${r.record_id}, expected ${e.record}`);
    const listed = (r.details?.records as string[] | undefined) ?? undefined;
    if (e.records !== undefined && JSON.stringify([...(listed ?? [])].sort()) !== JSON.stringify([...e.records].sort())) {
      problems.push(`${label}: details.records ${JSON.stringify(listed)}, expected ${JSON.stringify(e.records)}`);
    }
    for (const [k, v] of Object.entries(e.details ?? {})) {
      if (JSON.stringify(r.details?.[k]) !== JSON.stringify(v)) problems.push(`${label}: details.${k} ${JSON.stringify(r.details?.[k])}, expected ${JSON.stringify(v)}`);
    }
    for (const [k, v] of Object.entries(e.image ?? {})) {
      if (JSON.stringify(r.new_row?.[k]) !== JSON.stringify(v)) problems.push(`${label}: new_row.${k} ${JSON.stringify(r.new_row?.[k])}, expected ${JSON.stringify(v)}`);
    }
    if (PHI_WRITES.has(r.action) && r.table_name !== "vitals" && !(r.new_row ?? r.old_row)) problems.push(`${label}: no row image`);
  }
  // the safety net: any patient whose id is in the answer is named by a record of this request
  const named = new Set(rows.map((r) => r.patient_id));
  for (const p of await patientsIn(res.text)) {
    if (!named.has(p)) problems.push(`the answer names patient ${p}, but no record of this request does`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------- the tests

describe("the surface table itself", () => {
  it("names each endpoint once and tries every role on every user endpoint", () => {
    const names = SURFACE.map((r) => r.endpoint);
    expect(new Set(names).size).toBe(names.length);
    for (const r of SURFACE) {
      const actors = Object.keys(r.status);
      if (!actors.includes("device") && !r.linkIsCredential && !r.endpoint.includes("already reviewed")) {
        expect(actors.sort(), r.endpoint).toEqual([...ROLES].sort());
      }
    }
  });
});

describe.each(engines)("API surface audit on %s", (engine) => {
  let t: TestDatabase;
  let w: World;
  let storeDir: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    storeDir = await mkdtemp(path.join(os.tmpdir(), "carebase-surface-"));
    useObjectStore(new LocalObjectStore(path.join(storeDir, "objects")));
    const users = {
      admin: await createUser("admin", { fullName: "Ada Admin" }),
      attending: await createUser("provider", { fullName: "Dr. Atticus Attending" }),
      nurse: await createUser("provider", { fullName: "Nora Nurse" }),
      outsider: await createUser("provider", { fullName: "Dr. Otto Outsider" }),
      patient: await createUser("patient", { fullName: "Paula Patient" }),
    };
    const spare = await createUser("provider");
    const P = await createPatient({ createdBy: users.attending.id, userId: users.patient.id, lastName: `Surface${hex(3)}` });
    const Q = await createPatient({ createdBy: users.outsider.id });
    await addToCareTeam(P, users.nurse.id, "nurse");
    const partial = { users, P, Q, spare } as World;
    const deviceToken = `cbd_${hex(24)}`;
    const seeded = await serviceQuery(async (tx) => {
      const one = async (q: ReturnType<typeof sql<{ id: string }>>) => String((await q.execute(tx)).rows[0].id);
      const visit = await one(sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis)
        values (${P}, ${users.attending.id}, now() - interval '2 days', 'Cough', 'Bronchitis') returning id`);
      const device = await one(sql<{ id: string }>`insert into public.devices (patient_id, name, token_hash)
        values (${P}, 'Watch', encode(sha256(convert_to(${deviceToken}, 'UTF8')), 'hex')) returning id`);
      await sql`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
        select ${P}, ${device}, 'heart_rate', 60 + g, 'bpm', now() - make_interval(mins => g * 10) from generate_series(1, 5) g`.execute(tx);
      return {
        visit,
        device,
        prescription: await one(sql<{ id: string }>`insert into public.prescriptions (visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date)
          values (${visit}, ${P}, ${users.attending.id}, 'Amoxicillin', '500 mg', 'three times daily', current_date) returning id`),
        appointment: await one(sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by)
          values (${P}, ${users.attending.id}, now() + interval '3 days', now() + interval '3 days 30 minutes', 'Follow-up', ${users.patient.id}) returning id`),
        message: await one(sql<{ id: string }>`insert into public.care_messages (patient_id, sender_id, message)
          values (${P}, ${users.attending.id}, 'Please check the labs') returning id`),
      };
    });
    w = { ...partial, ...seeded, deviceToken, document: "" };
    w.document = await freshDocument(w);
  });
  afterAll(async () => {
    useObjectStore(undefined);
    await t?.drop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it.each(SURFACE.map((row) => [row.endpoint, row] as const))("%s", async (_name, row) => {
    const mismatches: string[] = [];
    // every user endpoint also refuses a request without credentials
    const actors = Object.keys(row.status) as Actor[];
    if (actors.includes("admin") && !actors.includes("anon") && !row.linkIsCredential) actors.push("anon");
    for (const as of actors) {
      const req = await row.request(w, as);
      const token = req.token !== undefined ? req.token : as === "anon" || as === "device" ? undefined : w.users[as].accessToken;
      const before = await lastAuditId();
      const res = await send(row.handler, token || undefined, req);
      const rows = await auditRecordsSince(before);
      for (const p of await check(row, w, as, req, res, rows)) mismatches.push(`${as}: ${p}`);
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });
});
