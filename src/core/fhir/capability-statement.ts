import { EVERYTHING_TYPES } from "./patient-everything";
import { RESOURCE_DEFINITIONS, searchParamsOf } from "./resources";
import { DEFAULT_COUNT, MAX_COUNT } from "./search/search-params";
import type { FhirResource } from "./types";

/**
 * System-level interactions and operations beyond read and search. The transaction import
 * and Bulk Data export add theirs here (one line each), so that the CapabilityStatement
 * lists exactly what the server does.
 */
export const SYSTEM_INTERACTIONS: { code: string; documentation?: string }[] = [
  { code: "transaction", documentation: "Providers and admins import a transaction Bundle of Patient, Encounter, Condition, AllergyIntolerance, MedicationRequest, Observation (vital signs), Appointment and DocumentReference (inline PDF, JPEG or PNG), POST only, all or nothing (docs/fhir-import-export.md)." },
];
export const SYSTEM_OPERATIONS: { name: string; definition: string; documentation?: string }[] = [
  { name: "export", definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export", documentation: "Bulk Data v2 system-level export, admins with two factors: Prefer: respond-async; _type, _since; NDJSON files for 24 hours, fetched with the same token." },
];
/** Type-level operations by resource type (besides Patient $everything). */
export const TYPE_OPERATIONS: Record<string, { name: string; definition: string; documentation?: string }[]> = {
  Patient: [{ name: "export", definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export", documentation: "Bulk Data v2 export of every patient the caller may read: Prefer: respond-async; _type, _since." }],
};

const STARTED = new Date().toISOString();

/** GET /fhir/R4/metadata (no authentication): what this server supports, and nothing more. */
export function capabilityStatement(base: string): FhirResource {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: STARTED,
    publisher: "Carebase",
    kind: "instance",
    software: { name: "Carebase" },
    implementation: { description: "Carebase FHIR R4 API: the clinic's records under the same access rules and audit trail as the portal.", url: base },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    rest: [{
      mode: "server",
      documentation:
        `Read and search under the caller's access rules; not visible = 404. Searches page with an opaque _cursor (next link); _count defaults to ${DEFAULT_COUNT}, at most ${MAX_COUNT}; Bundle.total is counted for the first page and carried by the cursor (_total=none leaves it out). Observations are ordered by effective time, other types by id. Unknown or malformed parameters are refused (400).`,
      security: {
        cors: false,
        description: "Authorization: Bearer <access token from POST /api/v1/auth/token>, or the portal's session cookie (same origin).",
      },
      resource: RESOURCE_DEFINITIONS.map((def) => {
        const operations = [
          ...(def.type === "Patient" ? [{ name: "everything", definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything", documentation: `The patient and their ${EVERYTHING_TYPES.join(", ")} the caller may read, and the practitioners referred to.` }] : []),
          ...(TYPE_OPERATIONS[def.type] ?? []),
        ];
        return {
          type: def.type,
          interaction: [{ code: "read" }, { code: "search-type" }],
          searchParam: Object.entries(searchParamsOf(def)).map(([name, p]) => ({ name, type: p.type })),
          ...(operations.length ? { operation: operations } : {}),
        };
      }),
      ...(SYSTEM_INTERACTIONS.length ? { interaction: SYSTEM_INTERACTIONS } : {}),
      ...(SYSTEM_OPERATIONS.length ? { operation: SYSTEM_OPERATIONS } : {}),
    }],
  };
}
