import { sql } from "kysely";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface MedicationRequestSourceRow extends SourceRow {
  medication: string;
  dosage: string;
  frequency: string;
  start_date: string;
  end_date: string | null;
  status: string;
  status_reason: string | null;
  authored_on: Date;
  prescriber_id: string;
  prescriber_name: string | null;
  visit_id: string | null;
}

/** prescriptions → MedicationRequest (order). Status: active → active, completed → completed, discontinued → stopped (codes.ts). */
export function toFhirMedicationRequest(r: MedicationRequestSourceRow): FhirResource {
  return compact({
    resourceType: "MedicationRequest",
    id: r.id,
    meta: meta(r.last_updated),
    status: r.status,
    statusReason: r.status === "stopped" && r.status_reason ? { text: r.status_reason } : undefined,
    intent: "order",
    medicationCodeableConcept: { text: r.medication },
    subject: ref("Patient", r.patient_id),
    encounter: ref("Encounter", r.visit_id),
    authoredOn: instant(r.authored_on),
    requester: ref("Practitioner", r.prescriber_id, r.prescriber_name),
    dosageInstruction: [{ text: [r.dosage, r.frequency].filter(Boolean).join(", ") }],
    dispenseRequest: { validityPeriod: compact({ start: r.start_date, end: r.end_date ?? undefined }) },
  });
}

export const medicationRequestDefinition: ResourceDefinition<MedicationRequestSourceRow> = {
  type: "MedicationRequest",
  readKind: "prescriptions",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<MedicationRequestSourceRow>`select rx.id, rx.patient_id, rx.updated_at as last_updated, rx.medication, rx.dosage, rx.frequency,
      to_char(rx.start_date, 'YYYY-MM-DD') as start_date, to_char(rx.end_date, 'YYYY-MM-DD') as end_date,
      case rx.status when 'active' then 'active' when 'completed' then 'completed' when 'discontinued' then 'stopped' else 'unknown' end as status,
      rx.status_reason, rx.created_at as authored_on, rx.prescriber_id, u.full_name as prescriber_name, rx.visit_id,
      'order'::text as intent
    from public.prescriptions rx left join auth.users u on u.id = rx.prescriber_id`,
  params: {
    ...PATIENT_PARAMS,
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/CodeSystem/medicationrequest-status" },
    intent: { type: "token", columns: ["intent"], system: "http://hl7.org/fhir/CodeSystem/medicationrequest-intent" },
    authoredon: { type: "date", columns: ["authored_on"] },
    encounter: { type: "reference", columns: ["visit_id"], targets: ["Encounter"], idType: "uuid" },
    requester: { type: "reference", columns: ["prescriber_id"], targets: ["Practitioner"], idType: "uuid" },
  },
  toFhir: toFhirMedicationRequest,
};
