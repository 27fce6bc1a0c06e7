import { sql } from "kysely";
import { CARE_TEAM_ROLE } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, instant, meta, PATIENT_PARAMS, ref } from "./shared";

export interface CareTeamSourceRow extends SourceRow {
  members: { provider_id: string; role: string; since: string; name: string | null }[];
}

const ROLE_DISPLAY: Record<string, string> = { attending: "Attending", nurse: "Nurse", specialist: "Specialist", admin: "Administrator" };

/** A patient's care_team rows → one CareTeam (id = the patient's id), a participant per member. */
export function toFhirCareTeam(r: CareTeamSourceRow): FhirResource {
  return compact({
    resourceType: "CareTeam",
    id: r.id,
    meta: meta(r.last_updated),
    status: "active",
    name: "Care team",
    subject: ref("Patient", r.patient_id),
    participant: r.members.map((m) => ({
      role: [{ coding: [{ system: CARE_TEAM_ROLE, code: m.role, display: ROLE_DISPLAY[m.role] ?? m.role }] }],
      member: ref("Practitioner", m.provider_id, m.name),
      period: { start: instant(m.since) },
    })),
  });
}

export const careTeamDefinition: ResourceDefinition<CareTeamSourceRow> = {
  type: "CareTeam",
  readKind: "care_team",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<CareTeamSourceRow>`select ct.patient_id as id, ct.patient_id, max(ct.created_at) as last_updated, 'active'::text as status,
      jsonb_agg(jsonb_build_object('provider_id', ct.provider_id, 'role', ct.role, 'since', ct.created_at, 'name', u.full_name) order by ct.created_at, ct.provider_id) as members
    from public.care_team ct left join auth.users u on u.id = ct.provider_id
    group by ct.patient_id`,
  params: { ...PATIENT_PARAMS, status: { type: "token", columns: ["status"], system: "http://hl7.org/fhir/care-team-status" } },
  toFhir: toFhirCareTeam,
};
