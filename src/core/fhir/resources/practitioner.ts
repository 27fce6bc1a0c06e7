import { sql } from "kysely";
import { LICENSE_SYSTEM } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, meta } from "./shared";

export interface PractitionerSourceRow extends SourceRow {
  full_name: string | null;
  license_number: string;
  specialty: string | null;
  credential: string;
  is_verified: boolean;
  is_active: boolean | null;
}

const CREDENTIAL_TEXT: Record<string, string> = {
  physician: "Physician",
  nurse_practitioner: "Nurse practitioner",
  physician_assistant: "Physician assistant",
  registered_nurse: "Registered nurse",
  medical_assistant: "Medical assistant",
  other: "Other",
};

/** providers (+ the account's name) → Practitioner. The staff directory, not PHI. */
export function toFhirPractitioner(r: PractitionerSourceRow): FhirResource {
  const parts = (r.full_name ?? "").trim().split(/\s+/).filter(Boolean);
  const name = parts.length
    ? [compact({ text: r.full_name!, family: parts.length > 1 ? parts[parts.length - 1] : undefined, given: parts.length > 1 ? parts.slice(0, -1) : parts })]
    : undefined;
  return compact({
    resourceType: "Practitioner",
    id: r.id,
    meta: meta(r.last_updated),
    identifier: [{ system: LICENSE_SYSTEM, value: r.license_number }],
    active: r.is_verified && r.is_active !== false,
    name,
    qualification: [{ code: compact({ text: [CREDENTIAL_TEXT[r.credential] ?? r.credential, r.specialty].filter(Boolean).join(", ") }) }],
  });
}

export const practitionerDefinition: ResourceDefinition<PractitionerSourceRow> = {
  type: "Practitioner",
  readKind: null,
  idType: "uuid",
  patientColumn: null,
  source: sql<PractitionerSourceRow>`select pr.user_id as id, null::uuid as patient_id,
      greatest(pr.created_at, coalesce(pr.verified_at, pr.created_at)) as last_updated,
      u.full_name, pr.license_number, pr.specialty, pr.credential::text as credential, pr.is_verified, u.is_active
    from public.providers pr left join auth.users u on u.id = pr.user_id`,
  params: {
    name: { type: "string", columns: ["full_name"] },
    identifier: { type: "token", columns: ["license_number"], system: LICENSE_SYSTEM },
  },
  toFhir: toFhirPractitioner,
};
