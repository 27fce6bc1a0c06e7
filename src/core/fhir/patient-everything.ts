import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { BadRequestError, NotFoundError } from "../errors";
import { searchsetBundle } from "./bundle";
import { mapContextFor } from "./map-context";
import { FHIR_CHANNEL, recordFhirRead } from "./record-fhir-read";
import { RESOURCE_DEFINITIONS, resourceDefinition } from "./resources";
import type { AnyResourceDefinition, SourceRow } from "./search/resource-definition";
import { compartmentRows, rowsById } from "./search/run-search";
import { isFhirId, parseDateRange } from "./search/search-params";
import type { FhirResource } from "./types";

/** The Patient compartment as served by $everything: every type with a patient, but the audit trail (AuditEvent has its own search). */
export const EVERYTHING_TYPES = RESOURCE_DEFINITIONS.filter((d) => d.patientColumn && d.type !== "Patient" && d.type !== "AuditEvent").map((d) => d.type);

/** Above this many rows of one type, the audit record names the count and time span instead of every id. */
const MAX_IDS_PER_RECORD = 1000;

export interface EverythingOptions {
  /** Only resources changed at or after (`_since`). */
  since?: Date;
  /** Only these types (`_type`), besides the Patient. */
  types?: string[];
}

/** `_since` and `_type` of GET /fhir/R4/Patient/{id}/$everything; anything else is refused (400). */
export function parseEverythingQuery(query: URLSearchParams): EverythingOptions {
  const out: EverythingOptions = {};
  for (const [key, value] of query) {
    if (key === "_since") {
      if (out.since) throw new BadRequestError("_since may be given once.", "invalid_search_parameter");
      out.since = parseDateRange(value).lo;
    } else if (key === "_type") {
      const types = value.split(",").map((t) => t.trim());
      for (const t of types) {
        if (!EVERYTHING_TYPES.includes(t) && t !== "Patient" && t !== "Practitioner") {
          throw new BadRequestError(`"${t.slice(0, 40)}" is not a type $everything returns.`, "invalid_search_parameter");
        }
      }
      out.types = [...(out.types ?? []), ...types];
    } else if (key !== "_format") {
      throw new BadRequestError(`"${key.slice(0, 40)}" is not a parameter of $everything here (_since and _type are).`, "invalid_search_parameter");
    }
  }
  return out;
}

/**
 * GET /fhir/R4/Patient/{id}/$everything: the patient and everything of their compartment
 * the caller may read (RLS decides per table: a patient gets no Communication, for one),
 * plus the practitioners it refers to, in one transaction. Not visible → 404. Each type's
 * rows are recorded as read, as a search of them would be.
 */
export async function patientEverything(
  session: Session,
  patientId: string,
  requestUrl: string,
  options: EverythingOptions,
  context: RequestContext,
): Promise<{ resources: FhirResource[]; bundle: ReturnType<typeof searchsetBundle> }> {
  if (!isFhirId(patientId)) throw new BadRequestError("The resource id is malformed.", "invalid_id");
  const ctx = mapContextFor(requestUrl, session);
  return withUser(session, async (tx) => {
    const patientDef = resourceDefinition("Patient")!;
    const patients = await compartmentRows(tx, patientDef, patientId);
    if (patients.length === 0) throw new NotFoundError("Patient");
    await recordFhirRead(tx, patientDef, patients, { operation: "$everything" });
    const resources: FhirResource[] = patients.map((r) => patientDef.toFhir(r, ctx));
    const practitionerIds = new Set<string>();
    for (const type of EVERYTHING_TYPES) {
      if (options.types && !options.types.includes(type)) continue;
      const def = resourceDefinition(type)!;
      const rows: SourceRow[] = await compartmentRows(tx, def, patientId, options.since);
      if (rows.length === 0) continue;
      await def.prepare?.(tx, rows, ctx);
      if (rows.length <= MAX_IDS_PER_RECORD) await recordFhirRead(tx, def, rows, { operation: "$everything" });
      else await recordSpan(tx, def, rows);
      for (const row of rows) {
        const resource = def.toFhir(row, ctx);
        collectPractitioners(resource, practitionerIds);
        resources.push(resource);
      }
    }
    if (practitionerIds.size && (!options.types || options.types.includes("Practitioner"))) {
      const def = resourceDefinition("Practitioner")!;
      for (const row of await rowsById(tx, def, [...practitionerIds])) resources.push(def.toFhir(row, ctx));
    }
    const self = `${ctx.base}/Patient/${patientId}/$everything${new URL(requestUrl).search}`;
    return { resources, bundle: searchsetBundle({ base: ctx.base, resources, total: resources.length, self }) };
  }, context);
}

/** A large type's read (a patient's years of wearable samples): the count and the first and last ids served, not every id. */
async function recordSpan(tx: Tx, def: AnyResourceDefinition, rows: SourceRow[]): Promise<void> {
  await recordRead(tx, {
    kind: def.readKind!,
    patientIds: [rows[0].patient_id!],
    details: { via: FHIR_CHANNEL, resource: def.type, operation: "$everything", count: rows.length, first: String(rows[0].id), last: String(rows[rows.length - 1].id) },
  });
}

/** The practitioners a resource refers to (any `reference: "Practitioner/…"` inside it); walks without allocating. */
export function collectPractitioners(value: unknown, into: Set<string>): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectPractitioners(value[i], into);
    return;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === "string") {
      if (k === "reference" && v.startsWith("Practitioner/")) into.add(v.slice(13));
    } else if (v !== null && typeof v === "object" && k !== "category" && k !== "code" && k !== "valueQuantity") {
      collectPractitioners(v, into);
    }
  }
}
