/** Code systems and the internal → FHIR code maps (docs/fhir.md has the same tables). */

export const LOINC = "http://loinc.org";
export const UCUM = "http://unitsofmeasure.org";
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
export const CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category";
export const CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical";
export const CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
export const ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
export const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
export const IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203";
export const PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
export const AUDIT_EVENT_TYPE = "http://dicom.nema.org/resources/ontology/DCM";
export const AUDIT_EVENT_ACTION = "http://hl7.org/fhir/audit-event-action";
export const AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
export const CARE_TEAM_ROLE = "https://carebase.dev/fhir/CodeSystem/care-team-role";
export const DOCUMENT_TYPE = "https://carebase.dev/fhir/CodeSystem/document-type";
export const VITAL_METRIC = "https://carebase.dev/fhir/CodeSystem/vital-metric";
export const VISIT_TYPE = "https://carebase.dev/fhir/CodeSystem/visit-type";
export const AUDIT_KIND = "https://carebase.dev/fhir/CodeSystem/audit-record-kind";
/** The clinic's medical record numbers (docs/mrn.md). */
export const MRN_SYSTEM = "https://carebase.dev/fhir/sid/mrn";
/** Providers' licence numbers as entered at sign-up. */
export const LICENSE_SYSTEM = "https://carebase.dev/fhir/sid/license";

export interface VitalCode {
  loinc: string;
  display: string;
  unit: string;
  ucum: string;
}

/**
 * Every vital sign Carebase stores (wearable metrics, src/core/vitals/metrics.ts, and a
 * visit's vitals, src/core/clinical/visits.types.ts), by internal metric name. Blood
 * pressure is one panel (85354-9) with two components; a wearable's separate systolic and
 * diastolic samples are served as their own observations (8480-6, 8462-4).
 */
export const VITAL_CODES: Record<string, VitalCode> = {
  heart_rate: { loinc: "8867-4", display: "Heart rate", unit: "beats/minute", ucum: "/min" },
  steps: { loinc: "55423-8", display: "Number of steps in unspecified time Pedometer", unit: "steps", ucum: "{steps}" },
  spo2: { loinc: "59408-5", display: "Oxygen saturation in Arterial blood by Pulse oximetry", unit: "%", ucum: "%" },
  bp_systolic: { loinc: "8480-6", display: "Systolic blood pressure", unit: "mmHg", ucum: "mm[Hg]" },
  bp_diastolic: { loinc: "8462-4", display: "Diastolic blood pressure", unit: "mmHg", ucum: "mm[Hg]" },
  blood_pressure: { loinc: "85354-9", display: "Blood pressure panel with all children optional", unit: "mmHg", ucum: "mm[Hg]" },
  weight: { loinc: "29463-7", display: "Body weight", unit: "kg", ucum: "kg" },
  temperature: { loinc: "8310-5", display: "Body temperature", unit: "C", ucum: "Cel" },
  respiratory_rate: { loinc: "9279-1", display: "Respiratory rate", unit: "breaths/minute", ucum: "/min" },
  height: { loinc: "8302-2", display: "Body height", unit: "cm", ucum: "cm" },
};

/** A visit's vitals keys (visits.vitals jsonb) → the metric names above. */
export const VISIT_VITAL_KEYS: Record<string, string> = {
  blood_pressure: "blood_pressure",
  heart_rate: "heart_rate",
  temperature_c: "temperature",
  respiratory_rate: "respiratory_rate",
  spo2: "spo2",
  weight_kg: "weight",
  height_cm: "height",
};

/** MedicationRequest.status for a prescription's status (0610). */
export const MEDICATION_REQUEST_STATUS: Record<string, string> = {
  active: "active",
  completed: "completed",
  discontinued: "stopped",
};

/** Appointment.status for an appointment's status (0010). */
export const APPOINTMENT_STATUS: Record<string, string> = {
  requested: "proposed",
  confirmed: "booked",
  declined: "cancelled",
  cancelled: "cancelled",
  completed: "fulfilled",
};

export const GENDER: Record<string, string> = { female: "female", male: "male", other: "other", unknown: "unknown" };

/** The inverse of a status map: FHIR code → internal codes (several internal codes may share one). */
export function inverse(map: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(map)) (out[v] ??= []).push(k);
  return out;
}
