// Why one file (over 300 lines): the plan of a FHIR transaction import reads every entry
// once, in order, and each resource's mapper throws the same ImportEntryError shape with the
// same entry reference and date helpers (the top of the file) that the planner uses. A seam
// does exist (the step types at the top; the per-resource mappers from mapPatient on) and is
// the next split, once the FHIR work in flight beside it (SMART, search) has landed, so that
// the move does not collide with it.

import { createHash, randomUUID } from "node:crypto";
import type { z } from "zod";
import { ZCreatePatientRequest, type TCreatePatientRequest } from "../../clinical/patients.types";
import { ZCreatePrescriptionRequest } from "../../clinical/prescriptions.types";
import { ZVisitVitals } from "../../clinical/visits.types";
import type { StorageConfig } from "../../storage/config";
import { declaredType, sniffContentType } from "../../storage/content-type";
import { sanitiseFileName } from "../../storage/file-name";
import { METRICS, type Metric } from "../../vitals/metrics";
import type { PrescriptionStatus } from "../../db/schema";
import {
  IMPORTABLE_TYPES,
  ZAllergyIntolerance, ZAppointment, ZBundleEntry, ZCondition, ZDocumentReference, ZEncounter, ZMedicationRequest, ZObservation, ZPatient,
  type ImportableType, type TBundleEntry,
} from "./import-bundle.types";
import { ImportEntryError, invalid, notSupported, required, type EntryRef, type InfoIssue } from "./import-errors";
import { ReferenceIndex, type Target } from "./references";

/**
 * FHIR → Carebase, without touching the database: every entry is parsed, checked and
 * mapped onto the rows it becomes, and each element that has nowhere to go is listed as
 * an information issue of the entry's outcome. A Bundle that fails here writes nothing
 * and stores no blob. docs/fhir-import-export.md is the mapping table.
 */

/** A patient the import creates (`existing: false`) or one already on file that the caller must see. */
export interface PatientTarget {
  id: string;
  existing: boolean;
}

export interface PatientStep { entry: EntryRef; id: string; input: TCreatePatientRequest }
export interface AllergyStep { entry: EntryRef; patient: PatientTarget; allergy: string | null }
export interface VisitStep {
  entry: EntryRef;
  id: string;
  patient: PatientTarget;
  visitDate: string;
  chiefComplaint: string;
  diagnoses: string[];
  vitals: Record<string, number | string>;
}
export interface ConditionStep { entry: EntryRef; visitId: string }
export interface VitalSample { metric: Metric; value: number; unit: string; recordedAt: string }
/** An Observation: onto its visit's vital signs (`visitId`), or wearable-style samples of the patient. */
export interface ObservationStep { entry: EntryRef; patient: PatientTarget; visitId: string | null; field: string | null; samples: VitalSample[] }
export interface PrescriptionStep {
  entry: EntryRef;
  id: string;
  patient: PatientTarget;
  visitId: string | null;
  medication: string;
  dosage: string;
  frequency: string;
  startDate: string;
  endDate: string | null;
  status: PrescriptionStatus;
  statusReason: string | null;
}
export interface AppointmentStep {
  entry: EntryRef;
  id: string;
  patient: PatientTarget;
  startsAt: string;
  endsAt: string;
  reason: string | null;
  status: "requested" | "confirmed" | "declined" | "cancelled" | "completed";
}
export interface DocumentStep {
  entry: EntryRef;
  id: string;
  patient: PatientTarget;
  bytes: Buffer;
  contentType: "application/pdf" | "image/jpeg" | "image/png";
  sha256: string;
  fileName: string;
  documentType: "lab_result" | "imaging" | "referral" | "consent" | "insurance" | "other";
  description: string | null;
}

export interface EntryPlan {
  entry: EntryRef;
  type: ImportableType;
  /** What the entry's response says besides 201: the elements not stored. */
  issues: InfoIssue[];
}

export interface ImportPlan {
  entries: EntryPlan[];
  patients: PatientStep[];
  allergies: AllergyStep[];
  visits: VisitStep[];
  conditions: ConditionStep[];
  observations: ObservationStep[];
  prescriptions: PrescriptionStep[];
  appointments: AppointmentStep[];
  documents: DocumentStep[];
}

const ALWAYS_IGNORED = new Set(["resourceType", "id", "meta", "text"]);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A FHIR date or dateTime precise to the day at least, as an ISO date-time (a date is midnight UTC). */
function toInstant(entry: EntryRef, value: string | undefined, element: string): string {
  if (value === undefined) throw required(entry, `${element} is required.`, `resource.${element}`);
  if (DATE.test(value) && !Number.isNaN(Date.parse(value))) return `${value}T00:00:00.000Z`;
  if (DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw invalid(entry, `${element} must be a date or a date-time with a time zone, precise to the day at least.`, `resource.${element}`);
}

function toDate(entry: EntryRef, value: string | undefined, element: string): string {
  return toInstant(entry, value, element).slice(0, 10);
}

function conceptText(c: { text?: string; coding?: { display?: string; code?: string }[] } | undefined): string | undefined {
  if (!c) return undefined;
  const t = c.text?.trim() || c.coding?.find((x) => x.display?.trim())?.display?.trim() || c.coding?.find((x) => x.code?.trim())?.code?.trim();
  return t || undefined;
}

function hasCode(c: { coding?: { system?: string; code?: string }[] } | undefined, system: string, codes: string[]): boolean {
  return !!c?.coding?.some((x) => x.system === system && x.code !== undefined && codes.includes(x.code));
}

function parse<S extends z.ZodType>(entry: EntryRef, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const element = issue.path.join(".");
  throw new ImportEntryError(400, entry, "structure", `resource.${element || "(root)"}: ${issue.message}`, `resource${element ? `.${element}` : ""}`);
}

/** One information issue per top-level element the mapping did not use. */
function dropped(entry: EntryRef, resource: Record<string, unknown>, used: string[], extra: InfoIssue[] = []): InfoIssue[] {
  const usedSet = new Set(used);
  const issues = Object.keys(resource)
    .filter((k) => !ALWAYS_IGNORED.has(k) && !usedSet.has(k) && !k.startsWith("_"))
    .map<InfoIssue>((k) => ({
      severity: "information",
      code: "informational",
      diagnostics: `${resource.resourceType}.${k} is not stored (Carebase has no place for it).`,
      expression: [`Bundle.entry[${entry.index}].resource.${k}`],
    }));
  return [...extra, ...issues];
}

const info = (entry: EntryRef, element: string, diagnostics: string): InfoIssue => ({
  severity: "information",
  code: "informational",
  diagnostics,
  expression: [`Bundle.entry[${entry.index}].resource.${element}`],
});

function zodFields<S extends z.ZodType>(entry: EntryRef, schema: S, value: unknown, elementOf: Record<string, string>): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = String(issue.path[0] ?? "");
  const element = elementOf[field] ?? field;
  throw invalid(entry, `${element}: ${issue.message}.`, `resource.${element}`);
}

// ------------------------------------------------------------------------------ Observation codes

const LOINC = "http://loinc.org";
interface VitalCode { visitField?: string; metric?: Metric; convert: (q: { value?: number; code?: string; unit?: string }) => number | null }
const unitOf = (q: { code?: string; unit?: string }) => (q.code ?? q.unit ?? "").trim();
const per = (accepted: string[]) => (q: { value?: number; code?: string; unit?: string }) =>
  q.value !== undefined && accepted.includes(unitOf(q)) ? q.value : null;
const VITAL_CODES: Record<string, VitalCode> = {
  "8867-4": { visitField: "heart_rate", metric: "heart_rate", convert: per(["/min", "{beats}/min", "beats/minute", "bpm"]) },
  "9279-1": { visitField: "respiratory_rate", convert: per(["/min", "{breaths}/min", "breaths/minute"]) },
  "59408-5": { visitField: "spo2", metric: "spo2", convert: per(["%"]) },
  "2708-6": { visitField: "spo2", metric: "spo2", convert: per(["%"]) },
  "55423-8": { metric: "steps", convert: per(["{steps}", "{count}", "1", "steps", "/d", "{steps}/d"]) },
  "8310-5": {
    visitField: "temperature_c", metric: "temperature",
    convert: (q) => (q.value === undefined ? null : ["Cel", "C", "°C"].includes(unitOf(q)) ? q.value : ["[degF]", "F", "°F"].includes(unitOf(q)) ? Math.round(((q.value - 32) * 5) / 9 * 10) / 10 : null),
  },
  "29463-7": {
    visitField: "weight_kg", metric: "weight",
    convert: (q) => (q.value === undefined ? null : unitOf(q) === "kg" ? q.value : unitOf(q) === "g" ? q.value / 1000 : ["[lb_av]", "lb", "lbs"].includes(unitOf(q)) ? Math.round(q.value * 0.45359237 * 100) / 100 : null),
  },
  "8302-2": {
    visitField: "height_cm",
    convert: (q) => (q.value === undefined ? null : unitOf(q) === "cm" ? q.value : unitOf(q) === "m" ? q.value * 100 : ["[in_i]", "in"].includes(unitOf(q)) ? Math.round(q.value * 2.54 * 10) / 10 : null),
  },
  "8480-6": { metric: "bp_systolic", convert: per(["mm[Hg]", "mmHg"]) },
  "8462-4": { metric: "bp_diastolic", convert: per(["mm[Hg]", "mmHg"]) },
};
const BP_PANEL = ["85354-9", "55284-4"];

function loincCode(c: { coding?: { system?: string; code?: string }[] }): string | undefined {
  return c.coding?.find((x) => x.system === LOINC && x.code)?.code;
}

// ------------------------------------------------------------------------------ the plan

export function planImport(rawEntries: unknown[], storage: Pick<StorageConfig, "maxUploadBytes" | "allowedTypes">): ImportPlan {
  const entries: TBundleEntry[] = rawEntries.map((raw, index) => {
    const fullUrl = typeof (raw as { fullUrl?: unknown })?.fullUrl === "string" ? (raw as { fullUrl: string }).fullUrl : undefined;
    return parse({ index, fullUrl }, ZBundleEntry, raw);
  });
  const refs = entries.map<EntryRef>((e, index) => ({ index, fullUrl: e.fullUrl }));
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (e.fullUrl) {
      if (seen.has(e.fullUrl)) throw new ImportEntryError(400, refs[i], "invalid", "fullUrl is used by another entry.", "fullUrl");
      seen.add(e.fullUrl);
    }
    const type = e.resource.resourceType;
    if (!(IMPORTABLE_TYPES as readonly string[]).includes(type)) {
      throw notSupported(refs[i], `${type} is not imported (supported: ${IMPORTABLE_TYPES.join(", ")}).`, "resource.resourceType");
    }
    if (e.request.method !== "POST") {
      throw notSupported(refs[i], `request.method ${e.request.method} is not supported: the import creates records (POST) only.`, "request.method");
    }
    if (e.request.url.replace(/^\//, "") !== type) throw invalid(refs[i], `request.url must be "${type}".`, "request.url");
    if (e.request.ifNoneExist) throw notSupported(refs[i], "Conditional create (request.ifNoneExist) is not supported.", "request.ifNoneExist");
  });

  const index = new ReferenceIndex(entries);
  // Patients and visits get their ids first: every other entry may point at them.
  const ids = entries.map((e) => (e.resource.resourceType === "Patient" || e.resource.resourceType === "Encounter" ? randomUUID() : ""));
  const plan: ImportPlan = { entries: [], patients: [], allergies: [], visits: [], conditions: [], observations: [], prescriptions: [], appointments: [], documents: [] };

  const patientOf = (entry: EntryRef, reference: string | undefined, element: string): PatientTarget => {
    const t: Target = index.resolve(entry, reference, element, ["Patient"]);
    return t.in === "bundle" ? { id: ids[t.index], existing: false } : { id: t.id, existing: true };
  };
  const visitsByEntry = new Map<number, VisitStep>();
  const visitOf = (entry: EntryRef, reference: string | undefined, element: string, patient: PatientTarget): VisitStep => {
    const t = index.resolve(entry, reference, element, ["Encounter"]);
    if (t.in === "server") throw notSupported(entry, `${element} must point at an Encounter of the same Bundle.`, `resource.${element}`);
    const visit = visitsByEntry.get(t.index)!;
    if (visit.patient.id !== patient.id) throw invalid(entry, `${element} points at another patient's Encounter.`, `resource.${element}`);
    return visit;
  };

  // Pass 1: patients and encounters (the rows others attach to).
  entries.forEach((e, i) => {
    const entry = refs[i];
    if (e.resource.resourceType === "Patient") {
      const r = parse(entry, ZPatient, e.resource);
      plan.patients.push({ entry, id: ids[i], input: mapPatient(entry, r) });
      plan.entries.push({ entry, type: "Patient", issues: patientIssues(entry, r) });
    } else if (e.resource.resourceType === "Encounter") {
      const r = parse(entry, ZEncounter, e.resource);
      if (!["arrived", "triaged", "in-progress", "onleave", "finished"].includes(r.status)) {
        throw notSupported(entry, `An Encounter that is ${r.status} is not a visit; only arrived, triaged, in-progress, onleave and finished ones are imported.`, "resource.status");
      }
      const patient = patientOf(entry, r.subject?.reference, "subject");
      const chief = conceptText(r.reasonCode?.[0]) ?? conceptText(r.type?.[0]) ?? conceptText(r.serviceType) ?? r.class?.display?.trim() ?? r.class?.code?.trim();
      if (!chief) throw required(entry, "A reason (reasonCode), type or class is needed: it becomes the visit's chief complaint.", "resource.reasonCode");
      const visitDate = toInstant(entry, r.period?.start, "period.start");
      if (Date.parse(visitDate) > Date.now() + 24 * 3600_000) throw invalid(entry, "period.start cannot be more than a day in the future.", "resource.period.start");
      const visit: VisitStep = { entry, id: ids[i], patient, visitDate, chiefComplaint: chief.slice(0, 500), diagnoses: [], vitals: {} };
      visitsByEntry.set(i, visit);
      plan.visits.push(visit);
      const extra: InfoIssue[] = [];
      if (chief.length > 500) extra.push(info(entry, "reasonCode", "The chief complaint was cut to 500 characters."));
      plan.entries.push({ entry, type: "Encounter", issues: dropped(entry, e.resource, ["status", "subject", "period", "reasonCode", "type", "serviceType", "class"], extra) });
    }
  });

  // Pass 2: everything that points at them.
  entries.forEach((e, i) => {
    const entry = refs[i];
    switch (e.resource.resourceType as ImportableType) {
      case "Patient":
      case "Encounter":
        return;
      case "AllergyIntolerance": {
        const r = parse(entry, ZAllergyIntolerance, e.resource);
        if (hasCode(r.verificationStatus, "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", ["refuted", "entered-in-error"])) {
          throw notSupported(entry, "A refuted or entered-in-error AllergyIntolerance is not imported.", "resource.verificationStatus");
        }
        const patient = patientOf(entry, r.patient.reference, "patient");
        // "No known allergy" statements record nothing: Carebase keeps a list of allergies.
        const none = hasCode(r.code, "http://snomed.info/sct", ["716186003", "409137002", "428607008", "429625007"]);
        const allergy = none ? null : conceptText(r.code);
        if (!none && !allergy) throw required(entry, "code (text, display or code) is required: it becomes the allergy's name.", "resource.code");
        if (allergy && allergy.length > 100) throw invalid(entry, "code: the allergy's name must be at most 100 characters.", "resource.code");
        plan.allergies.push({ entry, patient, allergy: allergy ?? null });
        const extra = none ? [info(entry, "code", "A \"no known allergy\" statement adds nothing to the patient's allergy list.")] : [];
        plan.entries.push({ entry, type: "AllergyIntolerance", issues: dropped(entry, e.resource, ["code", "patient", "verificationStatus"], extra) });
        return;
      }
      case "Condition": {
        const r = parse(entry, ZCondition, e.resource);
        if (hasCode(r.verificationStatus, "http://terminology.hl7.org/CodeSystem/condition-ver-status", ["refuted", "entered-in-error"])) {
          throw notSupported(entry, "A refuted or entered-in-error Condition is not imported.", "resource.verificationStatus");
        }
        const patient = patientOf(entry, r.subject.reference, "subject");
        const diagnosis = conceptText(r.code);
        if (!diagnosis) throw required(entry, "code (text, display or code) is required: it becomes the visit's diagnosis.", "resource.code");
        const encounterRef = r.encounter?.reference ?? encounterListing(entries, index, i);
        const extra: InfoIssue[] = [];
        let visit: VisitStep;
        if (encounterRef) {
          visit = visitOf(entry, encounterRef, "encounter", patient);
        } else {
          // Carebase keeps diagnoses on visits: a Condition of no encounter becomes a visit of its own.
          const visitDate = toInstant(entry, r.recordedDate ?? r.onsetDateTime, r.recordedDate ? "recordedDate" : "onsetDateTime");
          visit = { entry, id: randomUUID(), patient, visitDate, chiefComplaint: "Condition recorded in another system", diagnoses: [], vitals: {} };
          plan.visits.push(visit);
          extra.push(info(entry, "encounter", "Without an Encounter, the condition is stored as a visit of its own on its recorded (or onset) date."));
        }
        visit.diagnoses.push(diagnosis);
        plan.conditions.push({ entry, visitId: visit.id });
        plan.entries.push({ entry, type: "Condition", issues: dropped(entry, e.resource, ["code", "subject", "encounter", "verificationStatus", ...(encounterRef ? [] : ["recordedDate", "onsetDateTime"])], extra) });
        return;
      }
      case "Observation":
        plan.observations.push(planObservation(entry, parse(entry, ZObservation, e.resource), patientOf, visitOf, plan));
        return;
      case "MedicationRequest": {
        const r = parse(entry, ZMedicationRequest, e.resource);
        const patient = patientOf(entry, r.subject.reference, "subject");
        const step = mapMedicationRequest(entry, r, patient);
        if (r.encounter?.reference) step.visitId = visitOf(entry, r.encounter.reference, "encounter", patient).id;
        plan.prescriptions.push(step);
        const extra: InfoIssue[] = [info(entry, "requester", "The prescriber is the importing provider; the original requester is not stored.")];
        plan.entries.push({
          entry, type: "MedicationRequest",
          issues: dropped(entry, e.resource, ["status", "statusReason", "medicationCodeableConcept", "medicationReference", "contained", "subject", "encounter", "authoredOn", "dosageInstruction", "dispenseRequest", "intent"], extra),
        });
        return;
      }
      case "Appointment": {
        const r = parse(entry, ZAppointment, e.resource);
        const actors = r.participant.map((p) => p.actor?.reference).filter((x): x is string => !!x && /(^|\/)Patient\/|^urn:/.test(x));
        const patientRef = actors.find((x) => {
          try {
            return index.resolve(entry, x, "participant.actor", ["Patient"]) !== undefined;
          } catch {
            return false;
          }
        });
        if (!patientRef) throw required(entry, "One participant must be the Patient.", "resource.participant");
        const patient = patientOf(entry, patientRef, "participant.actor");
        plan.appointments.push(mapAppointment(entry, r, patient));
        const extra = [info(entry, "participant", "The appointment is with the importing provider; other participants are not stored.")];
        plan.entries.push({ entry, type: "Appointment", issues: dropped(entry, e.resource, ["status", "start", "end", "description", "reasonCode", "comment", "participant"], extra) });
        return;
      }
      case "DocumentReference": {
        const r = parse(entry, ZDocumentReference, e.resource);
        if (r.status !== "current") throw notSupported(entry, `A DocumentReference that is ${r.status} is not imported; only current ones are.`, "resource.status");
        const patient = patientOf(entry, r.subject?.reference, "subject");
        plan.documents.push(mapDocument(entry, r, patient, storage));
        const extra = r.content.length > 1 ? [info(entry, "content", "Only the first content attachment is stored.")] : [];
        plan.entries.push({ entry, type: "DocumentReference", issues: dropped(entry, e.resource, ["status", "type", "category", "subject", "description", "content"], extra) });
        return;
      }
    }
  });

  // Allergies of new patients are part of the record as it is created.
  for (const a of plan.allergies) {
    if (a.patient.existing || !a.allergy) continue;
    const p = plan.patients.find((x) => x.id === a.patient.id)!;
    if (!p.input.allergies.some((x) => x.toLowerCase() === a.allergy!.toLowerCase())) p.input.allergies.push(a.allergy);
    if (p.input.allergies.length > 100) throw invalid(a.entry, "A patient may have at most 100 allergies.", "resource.code");
  }
  for (const v of plan.visits) {
    if (v.diagnoses.join("; ").length > 500) throw invalid(v.entry, "The diagnoses of this visit add up to more than 500 characters.", "resource");
    zodFields(v.entry, ZVisitVitals, v.vitals, {});
  }
  plan.entries.sort((a, b) => a.entry.index - b.entry.index);
  return plan;
}

/** The Encounter of this Bundle whose `diagnosis` lists the Condition at `conditionIndex`, if any. */
function encounterListing(entries: TBundleEntry[], index: ReferenceIndex, conditionIndex: number): string | undefined {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.resource.resourceType !== "Encounter") continue;
    const diagnoses = (e.resource as { diagnosis?: { condition?: { reference?: string } }[] }).diagnosis ?? [];
    for (const d of diagnoses) {
      try {
        const t = index.resolve({ index: i, fullUrl: e.fullUrl }, d.condition?.reference, "diagnosis.condition", ["Condition"]);
        if (t.in === "bundle" && t.index === conditionIndex) return e.fullUrl ?? `Encounter/${e.resource.id}`;
      } catch {
        // a diagnosis pointing elsewhere is the Encounter's own business (not stored)
      }
    }
  }
  return undefined;
}

function mapPatient(entry: EntryRef, r: z.output<typeof ZPatient>): TCreatePatientRequest {
  const name = r.name?.find((n) => n.use === "official") ?? r.name?.find((n) => n.family) ?? r.name?.[0];
  if (!name?.family?.trim()) throw required(entry, "name.family is required.", "resource.name");
  if (!name.given?.length) throw required(entry, "name.given is required.", "resource.name");
  const mr = r.identifier?.find((id) => hasCode(id.type, "http://terminology.hl7.org/CodeSystem/v2-0203", ["MR"]));
  const mrn = mr?.value && /^[A-Za-z0-9-]{3,32}$/.test(mr.value) ? mr.value : undefined;
  const a = r.address?.[0];
  const address = a ? (a.text?.trim() || [...(a.line ?? []), a.city, a.district, a.state, a.postalCode, a.country].filter((x) => x?.trim()).join(", ")) : undefined;
  const contact = r.contact?.find((c) => c.name && c.telecom?.some((t) => t.system === "phone" && t.value));
  const phone = contact?.telecom?.find((t) => t.system === "phone" && t.value && /^[0-9+() .-]{5,30}$/.test(t.value))?.value;
  const contactName = contact?.name ? (contact.name.text?.trim() || [...(contact.name.given ?? []), contact.name.family].filter(Boolean).join(" ")) : "";
  const input = {
    first_name: name.given.join(" "),
    last_name: name.family,
    date_of_birth: r.birthDate,
    gender: r.gender ?? "unknown",
    allergies: [] as string[],
    address: address ? address.slice(0, 500) : null,
    emergency_contact: contact && phone && contactName ? { name: contactName.slice(0, 200), relationship: conceptText(contact.relationship?.[0])?.slice(0, 100), phone } : null,
    mrn,
  };
  if (!r.birthDate || !DATE.test(r.birthDate)) throw required(entry, "birthDate is required, as a full date (YYYY-MM-DD).", "resource.birthDate");
  return zodFields(entry, ZCreatePatientRequest, input, {
    first_name: "name.given", last_name: "name.family", date_of_birth: "birthDate", gender: "gender", address: "address", emergency_contact: "contact", mrn: "identifier",
  });
}

function patientIssues(entry: EntryRef, r: z.output<typeof ZPatient>): InfoIssue[] {
  const extra: InfoIssue[] = [];
  if ((r.name?.length ?? 0) > 1) extra.push(info(entry, "name", "Only one name (the official one) is stored."));
  const mr = r.identifier?.find((id) => hasCode(id.type, "http://terminology.hl7.org/CodeSystem/v2-0203", ["MR"]));
  if (!mr?.value || !/^[A-Za-z0-9-]{3,32}$/.test(mr.value)) {
    extra.push(info(entry, "identifier", "No usable medical record number (an identifier of type MR, 3-32 letters, digits or dashes): the clinic assigns one."));
  } else if ((r.identifier?.length ?? 0) > 1) {
    extra.push(info(entry, "identifier", "Only the medical record number (type MR) is stored; the other identifiers are not."));
  }
  if ((r.address?.length ?? 0) > 1) extra.push(info(entry, "address", "Only the first address is stored, as one line of text."));
  if (r.contact?.length) extra.push(info(entry, "contact", "Only one contact with a name and a phone number is stored, as the emergency contact."));
  return dropped(entry, r, ["name", "identifier", "gender", "birthDate", "address", "contact"], extra);
}

function planObservation(
  entry: EntryRef,
  r: z.output<typeof ZObservation>,
  patientOf: (entry: EntryRef, reference: string | undefined, element: string) => PatientTarget,
  visitOf: (entry: EntryRef, reference: string | undefined, element: string, patient: PatientTarget) => VisitStep,
  plan: ImportPlan,
): ObservationStep {
  if (!["final", "amended", "corrected", "preliminary", "registered"].includes(r.status)) {
    throw notSupported(entry, `An Observation that is ${r.status} is not imported.`, "resource.status");
  }
  const patient = patientOf(entry, r.subject?.reference, "subject");
  const code = loincCode(r.code);
  const recordedAt = toInstant(entry, r.effectiveDateTime ?? r.effectiveInstant ?? r.effectivePeriod?.start, "effectiveDateTime");
  const visit = r.encounter?.reference ? visitOf(entry, r.encounter.reference, "encounter", patient) : null;
  const used = ["status", "code", "subject", "encounter", "effectiveDateTime", "effectiveInstant", "effectivePeriod", "valueQuantity", "category"];
  const unsupported = () =>
    notSupported(entry, "Only vital signs are imported as Observations: LOINC 8867-4, 9279-1, 59408-5, 2708-6, 55423-8, 8310-5, 29463-7, 8302-2, 8480-6, 8462-4 and the blood-pressure panel 85354-9, with UCUM units.", "resource.code");

  const samples: VitalSample[] = [];
  let field: string | null = null;
  if (code && BP_PANEL.includes(code)) {
    used.push("component");
    const value = (c: string) => {
      const comp = r.component?.find((x) => loincCode(x.code) === c);
      return comp?.valueQuantity ? VITAL_CODES[c].convert(comp.valueQuantity) : null;
    };
    const sys = value("8480-6");
    const dia = value("8462-4");
    if (sys === null || dia === null) throw required(entry, "A blood-pressure panel needs both components (8480-6 and 8462-4) in mm[Hg].", "resource.component");
    if (visit) {
      field = "blood_pressure";
      setVisitVital(entry, visit, "blood_pressure", `${Math.round(sys)}/${Math.round(dia)}`);
    } else {
      samples.push(sample(entry, "bp_systolic", sys, recordedAt), sample(entry, "bp_diastolic", dia, recordedAt));
    }
  } else {
    const spec = code ? VITAL_CODES[code] : undefined;
    if (!spec) throw unsupported();
    if (!r.valueQuantity) throw required(entry, "valueQuantity is required.", "resource.valueQuantity");
    const value = spec.convert(r.valueQuantity);
    if (value === null) throw invalid(entry, "valueQuantity is not in a unit Carebase reads for this code (UCUM, e.g. /min, %, Cel, kg, cm, mm[Hg]).", "resource.valueQuantity");
    if (visit && spec.visitField) {
      field = spec.visitField;
      setVisitVital(entry, visit, spec.visitField, value);
    } else if (spec.metric) {
      samples.push(sample(entry, spec.metric, value, recordedAt));
    } else {
      throw notSupported(entry, "This vital sign is kept on visits only: give the Observation an encounter of the same Bundle.", "resource.encounter");
    }
  }
  const extra: InfoIssue[] = [];
  if (visit) extra.push(info(entry, "effectiveDateTime", "Stored with the visit's vital signs, at the visit's time."));
  plan.entries.push({ entry, type: "Observation", issues: dropped(entry, r, used, extra) });
  return { entry, patient, visitId: visit?.id ?? null, field, samples };
}

function setVisitVital(entry: EntryRef, visit: VisitStep, field: string, value: number | string): void {
  if (visit.vitals[field] !== undefined) throw new ImportEntryError(409, entry, "conflict", `The visit already has a value for this vital sign from another Observation.`, "resource.code");
  visit.vitals[field] = value;
}

function sample(entry: EntryRef, metric: Metric, value: number, recordedAt: string): VitalSample {
  const spec = METRICS[metric];
  if (!(value >= spec.min && value <= spec.max)) throw invalid(entry, `The value is outside what Carebase accepts for this vital sign (${spec.min}-${spec.max} ${spec.unit}).`, "resource.valueQuantity");
  if (metric === "steps" && !Number.isInteger(value)) throw invalid(entry, "Steps must be a whole number.", "resource.valueQuantity");
  return { metric, value, unit: spec.unit, recordedAt };
}

const TIMING_UNITS: Record<string, [string, string]> = { s: ["second", "seconds"], min: ["minute", "minutes"], h: ["hour", "hours"], d: ["day", "days"], wk: ["week", "weeks"], mo: ["month", "months"], a: ["year", "years"] };

function mapMedicationRequest(entry: EntryRef, r: z.output<typeof ZMedicationRequest>, patient: PatientTarget): PrescriptionStep {
  const STATUS: Record<string, PrescriptionStatus> = { active: "active", completed: "completed", stopped: "discontinued", cancelled: "discontinued" };
  const status = STATUS[r.status];
  if (!status) throw notSupported(entry, `A MedicationRequest that is ${r.status} is not imported (active, completed, stopped and cancelled are).`, "resource.status");
  const intent = (r as { intent?: string }).intent;
  if (intent && !["order", "original-order", "reflex-order", "filler-order", "instance-order"].includes(intent)) {
    throw notSupported(entry, `A MedicationRequest with intent ${intent} is not a prescription.`, "resource.intent");
  }
  let medication = conceptText(r.medicationCodeableConcept);
  if (!medication && r.medicationReference?.reference?.startsWith("#")) {
    const id = r.medicationReference.reference.slice(1);
    medication = conceptText(r.contained?.find((c) => c.resourceType === "Medication" && c.id === id)?.code);
  }
  if (!medication) throw required(entry, "The medication (medicationCodeableConcept, or a contained Medication's code) is required.", "resource.medicationCodeableConcept");
  const d = r.dosageInstruction?.[0];
  const q = d?.doseAndRate?.[0]?.doseQuantity;
  const dose = q?.value !== undefined ? `${q.value} ${q.unit ?? q.code ?? ""}`.trim() : undefined;
  const rep = d?.timing?.repeat;
  const unit = rep?.periodUnit ? TIMING_UNITS[rep.periodUnit] : undefined;
  const timing = rep?.frequency !== undefined && rep.period !== undefined && unit
    ? `${rep.frequency === 1 ? "once" : rep.frequency === 2 ? "twice" : `${rep.frequency} times`} every ${rep.period === 1 ? unit[0] : `${rep.period} ${unit[1]}`}`
    : conceptText(d?.timing?.code) ?? (d?.asNeededBoolean ? "as needed" : undefined);
  const dosage = dose ?? d?.text?.trim();
  const frequency = timing ?? d?.text?.trim();
  if (!dosage || !frequency) throw required(entry, "dosageInstruction needs a dose (doseAndRate.doseQuantity or text) and a timing (timing.repeat, timing.code or text).", "resource.dosageInstruction");
  const startDate = toDate(entry, r.dispenseRequest?.validityPeriod?.start ?? r.authoredOn, r.dispenseRequest?.validityPeriod?.start ? "dispenseRequest.validityPeriod.start" : "authoredOn");
  const end = r.dispenseRequest?.validityPeriod?.end;
  const endDate = end ? toDate(entry, end, "dispenseRequest.validityPeriod.end") : null;
  const input = zodFields(entry, ZCreatePrescriptionRequest, { medication, dosage: dosage.slice(0, 100), frequency: frequency.slice(0, 100), start_date: startDate, end_date: endDate }, {
    medication: "medicationCodeableConcept", dosage: "dosageInstruction", frequency: "dosageInstruction", start_date: "authoredOn", end_date: "dispenseRequest.validityPeriod.end",
  });
  const statusReason = status === "discontinued" ? (conceptText(r.statusReason) ?? `Marked ${r.status} in the system it was imported from`).slice(0, 1000) : null;
  return {
    entry, id: randomUUID(), patient, visitId: null,
    medication: input.medication, dosage: input.dosage, frequency: input.frequency,
    startDate: input.start_date, endDate: input.end_date ?? null,
    status, statusReason: statusReason && statusReason.length < 5 ? `${statusReason} (imported)` : statusReason,
  };
}

function mapAppointment(entry: EntryRef, r: z.output<typeof ZAppointment>, patient: PatientTarget): AppointmentStep {
  const STATUS: Record<string, AppointmentStep["status"]> = {
    proposed: "requested", pending: "requested", waitlist: "requested",
    booked: "confirmed", arrived: "confirmed", "checked-in": "confirmed",
    fulfilled: "completed", cancelled: "cancelled", noshow: "cancelled",
  };
  const status = STATUS[r.status];
  if (!status) throw notSupported(entry, `An Appointment that is ${r.status} is not imported.`, "resource.status");
  const startsAt = toInstant(entry, r.start, "start");
  const endsAt = toInstant(entry, r.end, "end");
  if (Date.parse(endsAt) <= Date.parse(startsAt)) throw invalid(entry, "end must be after start.", "resource.end");
  if (Date.parse(endsAt) - Date.parse(startsAt) > 12 * 3600_000) throw invalid(entry, "An appointment lasts at most 12 hours.", "resource.end");
  const reason = (r.description?.trim() || conceptText(r.reasonCode?.[0]) || r.comment?.trim() || null)?.slice(0, 1000) ?? null;
  return { entry, id: randomUUID(), patient, startsAt, endsAt, reason, status };
}

const DOC_TYPES: [string[], DocumentStep["documentType"]][] = [
  [["11502-2", "26436-6", "18842-5"], "lab_result"],
  [["18748-4", "18782-3", "68604-8"], "imaging"],
  [["57133-1", "57170-3"], "referral"],
  [["59284-0", "64292-6"], "consent"],
  [["48768-6"], "insurance"],
];

function mapDocument(entry: EntryRef, r: z.output<typeof ZDocumentReference>, patient: PatientTarget, storage: Pick<StorageConfig, "maxUploadBytes" | "allowedTypes">): DocumentStep {
  const att = r.content[0].attachment;
  if (!att.data) throw notSupported(entry, "content.attachment.data is required: documents are imported inline (base64), never fetched from a URL.", "resource.content[0].attachment.data");
  const b64 = att.data.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw invalid(entry, "content.attachment.data is not base64.", "resource.content[0].attachment.data");
  if (b64.length / 4 * 3 > storage.maxUploadBytes + 3) throw new ImportEntryError(413, entry, "too-long", `The document is larger than ${Math.floor(storage.maxUploadBytes / 1048576)} MB.`, "resource.content[0].attachment.data");
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length === 0) throw invalid(entry, "The document is empty.", "resource.content[0].attachment.data");
  if (bytes.length > storage.maxUploadBytes) throw new ImportEntryError(413, entry, "too-long", `The document is larger than ${Math.floor(storage.maxUploadBytes / 1048576)} MB.`, "resource.content[0].attachment.data");
  const sniffed = sniffContentType(bytes.subarray(0, 16));
  if (!sniffed || !storage.allowedTypes.includes(sniffed)) {
    throw new ImportEntryError(415, entry, "not-supported", "Only PDF, JPEG and PNG documents are accepted (decided by their content).", "resource.content[0].attachment.data");
  }
  const declared = declaredType(att.contentType);
  if (declared !== null && declared !== sniffed) throw new ImportEntryError(415, entry, "invalid", "content.attachment.contentType does not match the document's content.", "resource.content[0].attachment.contentType");
  const codes = [r.type, ...(r.category ?? [])].flatMap((c) => c?.coding ?? []).filter((c) => c.system === LOINC).map((c) => c.code ?? "");
  const documentType = DOC_TYPES.find(([list]) => codes.some((c) => list.includes(c)))?.[1] ?? "other";
  const description = (r.description?.trim() || conceptText(r.type) || null)?.slice(0, 1000) ?? null;
  return {
    entry, id: randomUUID(), patient, bytes, contentType: sniffed,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    fileName: sanitiseFileName(att.title?.replace(/[/\\]/g, "_"), sniffed),
    documentType, description,
  };
}
