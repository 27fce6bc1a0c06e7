import { RESOURCE_DEFINITIONS } from "../fhir/resources";

/**
 * SMART App Launch 2.x scopes (docs/smart.md). Clinical scopes read
 * `<context>/<type>.<permissions>`: context `patient` (one patient, the launch context) or
 * `user` (whatever the user may read); type a FHIR type or `*`; permissions a subset of
 * `cruds` in that order (Carebase grants only `r` read and `s` search) or the v1 `read`.
 */
export const RESOURCE_TYPES = RESOURCE_DEFINITIONS.map((d) => d.type);

export const IDENTITY_SCOPES = ["openid", "fhirUser", "offline_access", "launch/patient"] as const;

const PERMISSIONS = ["rs", "r", "s", "read"] as const;

/** Every scope the OAuth server recognises (it refuses none of them; an app's own list narrows). */
export const SUPPORTED_SCOPES: string[] = [
  ...IDENTITY_SCOPES,
  ...(["patient", "user"] as const).flatMap((ctx) => ["*", ...RESOURCE_TYPES].flatMap((t) => PERMISSIONS.map((p) => `${ctx}/${t}.${p}`))),
];

export interface ClinicalScope {
  context: "patient" | "user";
  type: string; // a FHIR type or "*"
  read: boolean;
  search: boolean;
}

const CLINICAL = /^(patient|user)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|c?r?u?d?s?)$/;

export function parseClinicalScope(scope: string): ClinicalScope | null {
  const m = CLINICAL.exec(scope);
  if (!m || m[3] === "") return null;
  const perms = m[3] === "read" ? "rs" : m[3];
  return { context: m[1] as "patient" | "user", type: m[2], read: perms.includes("r"), search: perms.includes("s") };
}

export function isSupportedScope(scope: string): boolean {
  return SUPPORTED_SCOPES.includes(scope);
}

export type Interaction = "read" | "search";

/** Whether granted scopes let an app read or search a type (the user's own rights still apply on top). */
export function scopesAllow(scopes: readonly string[], type: string, interaction: Interaction): boolean {
  return scopes.some((s) => {
    const c = parseClinicalScope(s);
    return !!c && (c.type === "*" || c.type === type) && (interaction === "read" ? c.read : c.search);
  });
}

/** Whether every clinical scope is of the patient context (the token then reaches one patient only). */
export function isPatientContext(scopes: readonly string[]): boolean {
  const clinical = scopes.map(parseClinicalScope).filter((c): c is ClinicalScope => c !== null);
  return clinical.length > 0 && clinical.every((c) => c.context === "patient");
}

const TYPE_WORDS: Record<string, string> = {
  "*": "your whole record",
  Patient: "your demographics (name, birth date, contact details)",
  Practitioner: "the names of your clinicians",
  CareTeam: "your care team",
  Encounter: "your visits",
  Condition: "your diagnoses",
  AllergyIntolerance: "your allergies",
  MedicationRequest: "your prescriptions",
  Observation: "your vital signs and measurements",
  DocumentReference: "your documents",
  Appointment: "your appointments",
  Communication: "care-team messages about you",
  Device: "your connected devices",
  AuditEvent: "who accessed your record",
};

/** A scope in plain words, for the consent page and the connected-apps list. */
export function describeScope(scope: string): string {
  switch (scope) {
    case "openid":
      return "Know who you are";
    case "fhirUser":
      return "Know which record in Carebase is yours";
    case "offline_access":
      return "Keep access when you are not using the app (until you disconnect it)";
    case "launch/patient":
      return "Know which patient record it is working with";
  }
  const c = parseClinicalScope(scope);
  if (!c) return scope;
  const what = TYPE_WORDS[c.type] ?? c.type;
  const verb = c.read && c.search ? "Read and search" : c.read ? "Read" : "Search";
  const whose = c.context === "patient" ? what : what.replace(/^your /, "").replace(/ about you$/, "");
  return c.context === "patient" ? `${verb} ${whose}` : `${verb} ${c.type === "*" ? "every record you may see" : whose} (of every patient you may see)`;
}
