import { sql, type RawBuilder } from "kysely";
import type { Reference } from "../types";
import type { ParamDef } from "../search/search-params";

/** An instant as FHIR writes it (UTC, milliseconds). */
export function instant(d: Date | string): string {
  if (typeof d === "string" && d.length === 24 && d.charCodeAt(23) === 90 /* Z */ && d.charCodeAt(10) === 84 /* T */) return d; // rendered by fhirInstant()
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

/**
 * A timestamptz column rendered by the database as a FHIR instant (what instant() writes:
 * UTC, milliseconds truncated, `Z`). Reading tens of thousands of rows, this saves parsing
 * each timestamp into a Date and formatting it back in Node.
 */
export function fhirInstant(column: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

export function ref(type: string, id: string | null | undefined, display?: string | null): Reference | undefined {
  if (!id) return undefined;
  return display ? { reference: `${type}/${id}`, display } : { reference: `${type}/${id}` };
}

export function meta(lastUpdated: Date | string): { lastUpdated: string } {
  return { lastUpdated: instant(lastUpdated) };
}

/** Drops undefined and null members and empty arrays, so that resources carry no empty elements (FHIR forbids them). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as T;
}

/** `patient` and `subject` of the Patient compartment's resources. */
export const PATIENT_PARAMS: Record<string, ParamDef> = {
  patient: { type: "reference", columns: ["patient_id"], targets: ["Patient"], idType: "uuid" },
  subject: { type: "reference", columns: ["patient_id"], targets: ["Patient"], idType: "uuid" },
};
