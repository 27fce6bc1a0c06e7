import { recordRead } from "../audit/record";
import type { Tx } from "../db/with-user";
import type { AnyResourceDefinition, SourceRow } from "./search/resource-definition";

/** What FHIR reads add to their audit records' details: the channel (the access log shows it). */
export const FHIR_CHANNEL = "fhir";

/**
 * Records the read of a page of rows exactly as the JSON API records its reads (one record
 * per patient, the row ids), with `via: "fhir"` and the resource type in the details.
 */
export async function recordFhirRead(tx: Tx, def: AnyResourceDefinition, rows: SourceRow[], details: Record<string, unknown> = {}): Promise<void> {
  if (!def.readKind || rows.length === 0) return;
  const byPatient = new Map<string | null, string[]>();
  for (const r of rows) {
    const ids = byPatient.get(r.patient_id) ?? [];
    ids.push(String(r.id));
    byPatient.set(r.patient_id, ids);
  }
  for (const [patientId, ids] of byPatient) {
    await recordRead(tx, {
      kind: def.readKind,
      patientIds: patientId ? [patientId] : [],
      recordIds: ids,
      details: { via: FHIR_CHANNEL, resource: def.type, ...details },
    });
  }
}
