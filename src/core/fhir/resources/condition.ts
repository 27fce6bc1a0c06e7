import { sql } from "kysely";
import { CONDITION_CATEGORY } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface ConditionSourceRow extends SourceRow {
  visit_date: Date;
  diagnosis: string;
  provider_id: string;
  category: string;
}

/** A visit's diagnosis (free text) → Condition (encounter-diagnosis; id = the visit's id). */
export function toFhirCondition(r: ConditionSourceRow): FhirResource {
  return compact({
    resourceType: "Condition",
    id: r.id,
    meta: meta(r.last_updated),
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: "encounter-diagnosis", display: "Encounter Diagnosis" }] }],
    code: { text: r.diagnosis },
    subject: ref("Patient", r.patient_id),
    encounter: ref("Encounter", r.id),
    recordedDate: instant(r.visit_date),
    recorder: ref("Practitioner", r.provider_id),
  });
}

export const conditionDefinition: ResourceDefinition<ConditionSourceRow> = {
  type: "Condition",
  readKind: "visits",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<ConditionSourceRow>`select v.id, v.patient_id, v.updated_at as last_updated, v.visit_date, v.diagnosis, v.provider_id,
      'encounter-diagnosis'::text as category
    from public.visits v where v.diagnosis is not null and btrim(v.diagnosis) <> ''`,
  params: {
    ...PATIENT_PARAMS,
    encounter: { type: "reference", columns: ["id"], targets: ["Encounter"], idType: "uuid" },
    category: { type: "token", columns: ["category"], system: CONDITION_CATEGORY },
    "recorded-date": { type: "date", columns: ["visit_date"] },
  },
  toFhir: toFhirCondition,
};
