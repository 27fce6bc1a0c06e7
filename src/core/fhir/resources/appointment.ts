import { sql } from "kysely";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface AppointmentSourceRow extends SourceRow {
  starts_at: Date;
  ends_at: Date;
  internal_status: string;
  status: string;
  reason: string | null;
  provider_id: string;
  provider_name: string | null;
  created_at: Date;
}

/** appointments → Appointment. Status: requested → proposed, confirmed → booked, declined/cancelled → cancelled, completed → fulfilled. */
export function toFhirAppointment(r: AppointmentSourceRow): FhirResource {
  const providerStatus = r.internal_status === "requested" ? "needs-action" : r.internal_status === "declined" ? "declined" : "accepted";
  return compact({
    resourceType: "Appointment",
    id: r.id,
    meta: meta(r.last_updated),
    status: r.status,
    description: r.reason ?? undefined,
    start: instant(r.starts_at),
    end: instant(r.ends_at),
    created: instant(r.created_at).slice(0, 10),
    participant: [
      { actor: ref("Patient", r.patient_id), status: "accepted" },
      { actor: ref("Practitioner", r.provider_id, r.provider_name), status: providerStatus },
    ],
  });
}

export const appointmentDefinition: ResourceDefinition<AppointmentSourceRow> = {
  type: "Appointment",
  readKind: "appointments",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<AppointmentSourceRow>`select a.id, a.patient_id, a.updated_at as last_updated, a.starts_at, a.ends_at, a.status::text as internal_status,
      case a.status when 'requested' then 'proposed' when 'confirmed' then 'booked' when 'completed' then 'fulfilled' else 'cancelled' end as status,
      a.reason, a.provider_id, u.full_name as provider_name, a.created_at
    from public.appointments a left join auth.users u on u.id = a.provider_id`,
  params: {
    patient: PATIENT_PARAMS.patient,
    date: { type: "date", columns: ["starts_at"] },
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/appointmentstatus" },
    practitioner: { type: "reference", columns: ["provider_id"], targets: ["Practitioner"], idType: "uuid" },
  },
  toFhir: toFhirAppointment,
};
