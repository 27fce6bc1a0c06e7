import { FhirOperationError, type IssueType } from "../outcome";

/** An information issue of an entry's outcome (FHIR issue-type "informational"). */
export interface InfoIssue {
  severity: "information";
  code: "informational";
  diagnostics: string;
  expression: string[];
}

/** Which entry of the Bundle: its position and its fullUrl (as the sender wrote it). */
export interface EntryRef {
  index: number;
  fullUrl?: string;
}

export function entryLabel(entry: EntryRef): string {
  return `Bundle.entry[${entry.index}]${entry.fullUrl ? ` (${entry.fullUrl})` : ""}`;
}

/**
 * The import refused the Bundle because of one entry: the answer is an OperationOutcome
 * whose issue names the entry by index and fullUrl (diagnostics) and the element
 * (expression). Messages name elements, never their values: no PHI in errors.
 */
export class ImportEntryError extends FhirOperationError {
  constructor(
    status: 400 | 403 | 404 | 409 | 413 | 415 | 422,
    readonly entry: EntryRef | null,
    issueCode: IssueType,
    detail: string,
    element?: string,
  ) {
    const base = entry ? `Bundle.entry[${entry.index}]` : "Bundle";
    super(status, `fhir_import_${issueCode.replace(/-/g, "_")}`, [{
      severity: "error",
      code: issueCode,
      diagnostics: `${entry ? `${entryLabel(entry)}: ` : ""}${detail}`,
      expression: [element ? `${base}.${element}` : base],
    }]);
  }
}

export const invalid = (entry: EntryRef | null, detail: string, element?: string) => new ImportEntryError(422, entry, "invalid", detail, element);
export const required = (entry: EntryRef, detail: string, element?: string) => new ImportEntryError(422, entry, "required", detail, element);
export const notSupported = (entry: EntryRef, detail: string, element?: string) => new ImportEntryError(422, entry, "not-supported", detail, element);
