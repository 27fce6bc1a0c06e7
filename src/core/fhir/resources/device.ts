import { sql } from "kysely";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, meta, PATIENT_PARAMS, ref } from "./shared";

export interface DeviceSourceRow extends SourceRow {
  name: string;
  status: string;
}

/** devices (a patient's wearables) → Device; a revoked device is inactive. The token never leaves the server. */
export function toFhirDevice(r: DeviceSourceRow): FhirResource {
  return compact({
    resourceType: "Device",
    id: r.id,
    meta: meta(r.last_updated),
    status: r.status,
    deviceName: [{ name: r.name, type: "user-friendly-name" }],
    patient: ref("Patient", r.patient_id),
  });
}

export const deviceDefinition: ResourceDefinition<DeviceSourceRow> = {
  type: "Device",
  readKind: "devices",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<DeviceSourceRow>`select d.id, d.patient_id, greatest(d.created_at, coalesce(d.last_seen_at, d.created_at), coalesce(d.revoked_at, d.created_at)) as last_updated,
      d.name, case when d.revoked_at is null then 'active' else 'inactive' end as status
    from public.devices d`,
  params: {
    patient: PATIENT_PARAMS.patient,
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/FHIR-device-status" },
  },
  toFhir: toFhirDevice,
};
