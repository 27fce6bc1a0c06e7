import { sql } from "kysely";
import { ALLERGY_CLINICAL } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, meta, PATIENT_PARAMS, ref } from "./shared";

export interface AllergySourceRow extends SourceRow {
  substance: string;
  clinical_status: string;
}

/**
 * One AllergyIntolerance per entry of patients.allergies (free text). Its id is the
 * patient's id and a hash of the substance, so it stays the same while the entry does.
 */
export function toFhirAllergyIntolerance(r: AllergySourceRow): FhirResource {
  return compact({
    resourceType: "AllergyIntolerance",
    id: r.id,
    meta: meta(r.last_updated),
    clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL, code: "active", display: "Active" }] },
    code: { text: r.substance },
    patient: ref("Patient", r.patient_id),
  });
}

export const allergyIntoleranceDefinition: ResourceDefinition<AllergySourceRow> = {
  type: "AllergyIntolerance",
  readKind: "patient_chart",
  idType: "text",
  patientColumn: "patient_id",
  source: sql<AllergySourceRow>`select p.id::text || '-' || left(md5(lower(a.substance)), 12) as id, p.id as patient_id,
      p.updated_at as last_updated, a.substance, 'active'::text as clinical_status
    from public.patients p cross join lateral unnest(p.allergies) as a(substance)`,
  params: {
    ...PATIENT_PARAMS,
    "clinical-status": { type: "token", columns: ["clinical_status"], system: ALLERGY_CLINICAL },
  },
  toFhir: toFhirAllergyIntolerance,
};
