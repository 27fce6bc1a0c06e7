import { sql } from "kysely";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface CommunicationSourceRow extends SourceRow {
  sender_id: string;
  sender_name: string | null;
  message: string;
  priority: string;
  sent: Date;
  status: string;
}

/** care_messages (the care team's channel about a patient; staff only, RLS) → Communication. */
export function toFhirCommunication(r: CommunicationSourceRow): FhirResource {
  return compact({
    resourceType: "Communication",
    id: r.id,
    meta: meta(r.last_updated),
    status: "completed",
    priority: r.priority === "urgent" ? "urgent" : "routine",
    subject: ref("Patient", r.patient_id),
    sent: instant(r.sent),
    sender: ref("Practitioner", r.sender_id, r.sender_name),
    payload: [{ contentString: r.message }],
  });
}

export const communicationDefinition: ResourceDefinition<CommunicationSourceRow> = {
  type: "Communication",
  readKind: "messages",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<CommunicationSourceRow>`select m.id, m.patient_id, m.created_at as last_updated, m.sender_id, u.full_name as sender_name,
      m.message, m.priority::text as priority, m.created_at as sent, 'completed'::text as status
    from public.care_messages m left join auth.users u on u.id = m.sender_id`,
  params: {
    ...PATIENT_PARAMS,
    sent: { type: "date", columns: ["sent"] },
    status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/event-status" },
  },
  toFhir: toFhirCommunication,
};
