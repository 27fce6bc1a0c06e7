import { sql } from "kysely";
import { GENDER, IDENTIFIER_TYPE, MRN_SYSTEM } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import type { FhirResource } from "../types";
import { compact, meta } from "./shared";

export interface PatientSourceRow extends SourceRow {
  first_name: string;
  last_name: string;
  birth_date: string;
  birth_at: Date;
  gender: string;
  blood_type: string | null;
  emergency_contact: { name?: string; phone?: string; relationship?: string } | null;
  address: string | null;
  mrn: string;
  has_account: boolean;
}

/** patients → Patient. The MRN is the identifier (type MR); blood type and allergies are served as their own resources' data, not here. */
export function toFhirPatient(r: PatientSourceRow): FhirResource {
  const ec = r.emergency_contact;
  const contact = ec && (ec.name || ec.phone)
    ? [compact({
        relationship: ec.relationship ? [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0131", code: "C", display: "Emergency Contact" }], text: ec.relationship }] : [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0131", code: "C", display: "Emergency Contact" }] }],
        name: ec.name ? { text: ec.name } : undefined,
        telecom: ec.phone ? [{ system: "phone", value: ec.phone }] : undefined,
      })]
    : undefined;
  return compact({
    resourceType: "Patient",
    id: r.id,
    meta: meta(r.last_updated),
    identifier: [{ use: "usual", type: { coding: [{ system: IDENTIFIER_TYPE, code: "MR", display: "Medical record number" }] }, system: MRN_SYSTEM, value: r.mrn }],
    active: true,
    name: [{ use: "official", family: r.last_name, given: [r.first_name] }],
    gender: GENDER[r.gender] ?? "unknown",
    birthDate: r.birth_date,
    address: r.address ? [{ text: r.address }] : undefined,
    contact,
  });
}

export const patientDefinition: ResourceDefinition<PatientSourceRow> = {
  type: "Patient",
  readKind: "patient_chart",
  idType: "uuid",
  patientColumn: "patient_id",
  source: sql<PatientSourceRow>`select p.id, p.id as patient_id, p.updated_at as last_updated, p.first_name, p.last_name,
      to_char(p.date_of_birth, 'YYYY-MM-DD') as birth_date, (p.date_of_birth::timestamp at time zone 'UTC') as birth_at,
      p.gender, p.blood_type, p.emergency_contact, p.address, p.mrn, (p.user_id is not null) as has_account
    from public.patients p`,
  params: {
    identifier: { type: "token", columns: ["mrn"], system: MRN_SYSTEM },
    name: { type: "string", columns: ["first_name", "last_name"] },
    family: { type: "string", columns: ["last_name"] },
    given: { type: "string", columns: ["first_name"] },
    birthdate: { type: "date", columns: ["birth_at"] },
    gender: { type: "token", columns: ["gender"], system: "http://hl7.org/fhir/administrative-gender", lowercase: true },
  },
  toFhir: toFhirPatient,
};
