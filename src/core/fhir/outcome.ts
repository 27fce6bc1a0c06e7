import { DatabaseUnavailableError, DependencyUnavailableError } from "../db/unavailable";
import { AppError } from "../errors";
import { fromDatabaseError } from "../http/respond";
import { log } from "../log";
import { fhirJson } from "./respond";
import type { FhirResource } from "./types";

/** The error codes of the JSON API, as a CodeSystem, so that FHIR clients can tell errors apart the same way. */
export const ERROR_CODE_SYSTEM = "https://carebase.dev/fhir/CodeSystem/error-code";

export type IssueSeverity = "fatal" | "error" | "warning" | "information";
/** FHIR's IssueType (http://hl7.org/fhir/issue-type), the ones Carebase uses. */
export type IssueType =
  | "invalid" | "structure" | "required" | "value" | "security" | "login" | "forbidden" | "not-found"
  | "not-supported" | "conflict" | "too-long" | "processing" | "business-rule" | "throttled" | "transient" | "exception";

export interface OutcomeIssue {
  severity: IssueSeverity;
  code: IssueType;
  diagnostics?: string;
  /** The JSON API's stable error code (details.coding). */
  errorCode?: string;
  /** FHIRPath-ish locations, e.g. "Bundle.entry[2].resource". */
  expression?: string[];
}

export function operationOutcome(issues: OutcomeIssue[]): FhirResource {
  return {
    resourceType: "OperationOutcome",
    issue: issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      ...(i.errorCode ? { details: { coding: [{ system: ERROR_CODE_SYSTEM, code: i.errorCode }] } } : {}),
      ...(i.diagnostics ? { diagnostics: i.diagnostics } : {}),
      ...(i.expression?.length ? { expression: i.expression } : {}),
    })),
  };
}

/** The IssueType for an HTTP status (the same statuses as the JSON API, docs/errors.md). */
export function issueTypeFor(status: number): IssueType {
  switch (status) {
    case 400: return "invalid";
    case 401: return "login";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 409: return "conflict";
    case 413: return "too-long";
    case 415: return "not-supported";
    case 422: return "processing";
    case 429: return "throttled";
    case 503: return "transient";
    default: return "exception";
  }
}

/**
 * A FHIR error with issues of its own (several issues, or expressions naming a Bundle
 * entry). For a single message, throw the core's AppError subclasses instead: they map
 * here with the same status and code as on the JSON API.
 */
export class FhirOperationError extends AppError {
  constructor(status: number, code: string, readonly issues: OutcomeIssue[]) {
    super(status, code, issues[0]?.diagnostics ?? "The request failed.");
  }
}

/**
 * The FHIR face of src/core/http/respond.ts's errorResponse: the same statuses, headers and
 * stable codes, rendered as an OperationOutcome. Unexpected errors are logged (never their
 * message to the caller) and answered 500 with the request id.
 */
export function fhirErrorResponse(e: unknown, requestId: string): Response {
  const appError = e instanceof AppError ? e : fromDatabaseError(e);
  if (appError instanceof DatabaseUnavailableError || appError instanceof DependencyUnavailableError) {
    const cause = e as Error & { code?: string };
    log.warn({ requestId, code: appError.code, cause: { name: cause?.name, code: cause?.code } }, "dependency unavailable");
  }
  if (appError) {
    const issues: OutcomeIssue[] =
      appError instanceof FhirOperationError
        ? appError.issues
        : [{
            severity: "error",
            code: issueTypeFor(appError.status),
            errorCode: appError.code,
            diagnostics: appError.message,
            ...(appError.fields ? { expression: Object.keys(appError.fields) } : {}),
          }];
    return fhirJson(operationOutcome(issues), appError.status, { ...appError.headers, "X-Request-Id": requestId });
  }
  log.error({ requestId, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code, stack: (e as Error)?.stack } }, "unhandled error");
  return fhirJson(
    operationOutcome([{ severity: "fatal", code: "exception", errorCode: "internal_error", diagnostics: `Something went wrong on our side. Quote request id ${requestId} when reporting it.` }]),
    500,
    { "X-Request-Id": requestId },
  );
}
