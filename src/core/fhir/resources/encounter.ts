import { sql } from "kysely";
import { ACT_CODE, PARTICIPATION_TYPE, VISIT_TYPE } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface EncounterSourceRow extends SourceRow {
  visit_date: Date;
  provider_id: string;
  provider_name: string | null;
  chief_complaint: string;
  visit_type: string;
  status: string;
}

const VISIT_TYPE_DISPLAY: Record<string, string> = {
  office: "Office visit", telehealth: "Telehealth visit", follow_up: "Follow-up visit", urgent: "Urgent visit", annual: "Annual visit",
};

/** visits → Encounter (finished; class ambulatory, or virtual for telehealth; type = the visit type). The diagnosis is a Condition, the vitals Observations; notes are not served. */
export function toFhirEncounter(r: EncounterSourceRow): FhirResource {
  return compact({
    resourceType: "Encounter",
    id: r.id,
    meta: meta(r.last_updated),
    status: "finished",
    class: r.visit_type === "telehealth" ? { system: ACT_CODE, code: "VR", display: "virtual" } : { system: ACT_CODE, code: "AMB", display: "ambulatory" },
    type: [{ coding: [{ system: VISIT_TYPE, code: r.visit_type, display: VISIT_TYPE_DISPLAY[r.visit_type] ?? r.visit_type }] }],
    subject: ref("Patient", r.patient_id),
    participant: [{
      type: [{ coding: [{ system: PARTICIPATION_TYPE, code: "PPRF", display: "primary performer" }] }],
      individual: ref("Practitioner", r.provider_id, r.provider_name),
    }],
    period: { start: instant(r.visit_date) },
    reasonCode: r.chief_complaint ? [{ text: r.chief_complaint }] : undefined,
  });
}

export const encounterDefinition: ResourceDefinition<EncounterSourceRow> = {
  type: "Encounter",
  readKind: "visits",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<EncounterSourceRow>`select v.id, v.patient_id, v.updated_at as last_updated, v.visit_date, v.provider_id,
      u.full_name as provider_name, v.chief_complaint, v.visit_type, 'finished'::text as status
    from public.visits v left join auth.users u on u.id = v.provider_id`,
  params: {
    ...PATIENT_PARAMS,
    date: { type: "date", columns: ["visit_date"] },
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/encounter-status" },
    practitioner: { type: "reference", columns: ["provider_id"], targets: ["Practitioner"], idType: "uuid" },
    type: { type: "token", columns: ["visit_type"], system: VISIT_TYPE },
  },
  toFhir: toFhirEncounter,
};
