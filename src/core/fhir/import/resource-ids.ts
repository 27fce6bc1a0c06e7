import { createHash } from "node:crypto";
import { VISIT_VITAL_KEYS } from "../codes";

/**
 * The ids under which the read API (src/core/fhir/resources) serves what an import wrote,
 * for the transaction-response's `location`s. Keep in step with those mappers' sources.
 */

/** AllergyIntolerance: the patient's id and the first 12 hex digits of md5(lower(substance)). */
export function allergyIdFor(patientId: string, allergy: string): string {
  return `${patientId}-${createHash("md5").update(allergy.toLowerCase()).digest("hex").slice(0, 12)}`;
}

/** An Observation of a visit's vitals: `visit-<visit id>-<metric>` (temperature_c → temperature, heart_rate → heart-rate: a FHIR id has no `_`). */
export function observationIdForVisit(visitId: string, field: string): string {
  return `visit-${visitId}-${(VISIT_VITAL_KEYS[field] ?? field).replace(/_/g, "-")}`;
}

/** A vitals row: `vital-<id>`. */
export function observationIdForSample(vitalId: string): string {
  return `vital-${vitalId}`;
}
