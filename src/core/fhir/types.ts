/**
 * The FHIR R4 shapes Carebase produces, kept loose on purpose: the mappers are checked
 * against the official StructureDefinitions by an outside validator in the tests
 * (tests/fhir/validate.test.ts), which is stricter than hand-written types could be.
 */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { lastUpdated?: string; versionId?: string; [k: string]: unknown };
  [key: string]: unknown;
}

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Reference {
  reference?: string;
  display?: string;
}

export interface BundleEntry {
  fullUrl?: string;
  resource?: FhirResource;
  search?: { mode: "match" | "include" | "outcome" };
  request?: { method: string; url: string };
  response?: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: FhirResource };
}

export interface Bundle extends FhirResource {
  resourceType: "Bundle";
  type: "searchset" | "collection" | "transaction" | "transaction-response" | "batch" | "batch-response" | "document" | "history" | "message";
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: BundleEntry[];
}
