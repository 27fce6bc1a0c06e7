import { sql } from "kysely";
import { AUDIT_ENTITY_TYPE, AUDIT_EVENT_TYPE, AUDIT_KIND } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, ref } from "./shared";

export interface AuditEventSourceRow extends SourceRow {
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  actor_name: string | null;
  action: string;
  fhir_action: string;
  table_name: string | null;
  via: string | null;
}

const ACTION_DISPLAY: Record<string, string> = { read: "viewed", insert: "created", update: "changed", delete: "deleted" };

function agentWho(r: AuditEventSourceRow) {
  if (r.actor_role === "provider") return ref("Practitioner", r.actor_id, r.actor_name);
  if (r.actor_name) return { display: r.actor_name };
  if (r.actor_role === "device") return { display: "Wearable device" };
  return { display: "Carebase system" };
}

/**
 * audit_log → AuditEvent: admins (aal2) read the whole trail, a patient the records about
 * their own chart ("who accessed my record"; RLS and column grants decide, as for the
 * access log). Network addresses and row contents are never served.
 */
export function toFhirAuditEvent(r: AuditEventSourceRow): FhirResource {
  return compact({
    resourceType: "AuditEvent",
    id: String(r.id),
    meta: meta(r.last_updated),
    type: { system: AUDIT_EVENT_TYPE, code: "110110", display: "Patient Record" },
    subtype: [{ system: AUDIT_KIND, code: r.table_name ?? r.action, display: `${ACTION_DISPLAY[r.action] ?? r.action}${r.table_name ? ` ${r.table_name.replace(/_/g, " ")}` : ""}` }],
    action: r.fhir_action,
    recorded: instant(r.occurred_at),
    outcome: "0",
    agent: [compact({ who: agentWho(r), requestor: true })],
    source: { observer: { display: "Carebase" } },
    entity: r.patient_id
      ? [compact({
          what: ref("Patient", r.patient_id),
          type: { system: AUDIT_ENTITY_TYPE, code: "1", display: "Person" },
          detail: r.via ? [{ type: "channel", valueString: r.via }] : undefined,
        })]
      : undefined,
  });
}

export const auditEventDefinition: ResourceDefinition<AuditEventSourceRow> = {
  type: "AuditEvent",
  readKind: "access_log",
  idType: "bigint",
  patientColumn: "patient_id",
  source: sql<AuditEventSourceRow>`select a.id, a.patient_id, a.occurred_at as last_updated, a.occurred_at, a.actor_id, a.actor_role,
      u.full_name as actor_name, a.action,
      case a.action when 'read' then 'R' when 'insert' then 'C' when 'update' then 'U' when 'delete' then 'D' else 'E' end as fhir_action,
      a.table_name, a.details ->> 'via' as via
    from public.audit_log a left join auth.users u on u.id = a.actor_id`,
  params: {
    patient: { type: "reference", columns: ["patient_id"], targets: ["Patient"], idType: "uuid" },
    date: { type: "date", columns: ["occurred_at"] },
    agent: { type: "reference", columns: ["actor_id"], targets: ["Practitioner", "Patient", "Device"], idType: "uuid" },
    action: { type: "token", columns: ["fhir_action"], system: "http://hl7.org/fhir/audit-event-action" },
  },
  toFhir: toFhirAuditEvent,
};
