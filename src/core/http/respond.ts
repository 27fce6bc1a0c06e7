import { DatabaseUnavailableError, DependencyUnavailableError, unavailability } from "../db/unavailable";
import { AppError, BadRequestError, ConflictError, ForbiddenError, ValidationError } from "../errors";
import { log } from "../log";

/**
 * Every JSON answer carries these (the API is not behind the proxy, src/proxy.ts, which
 * sets the pages' headers); next.config adds nosniff, frame and referrer policy, and HSTS
 * over https. A route that answers with its own Response (the file download, the PDF)
 * sets its own.
 */
export const BASE_HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
  "Cross-Origin-Opener-Policy": "same-origin",
};

export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(data, { status, headers: { ...BASE_HEADERS, ...headers } });
}

export function noContent(headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers: { ...BASE_HEADERS, ...headers } });
}

interface PgError {
  code?: string;
  constraint?: string;
}

const FIELD_BY_CONSTRAINT: Record<string, [string, string]> = {
  patients_mrn_unique: ["mrn", "This MRN is already in use."],
  users_email_unique: ["email", "An account with this email already exists."],
  care_team_member_once: ["provider_id", "This provider is already on the care team."],
  appointments_no_double_booking: ["starts_at", "The provider already has a confirmed appointment at this time."],
  appointments_status_transition: ["status", "This status change is not allowed."],
};

/**
 * Database errors as API errors: the caller's fault (4xx), or the database (or another
 * dependency) being unreachable: 503 with Retry-After, so that clients retry later. Anything
 * else is ours (500).
 */
export function fromDatabaseError(e: unknown): AppError | undefined {
  const unavailable = unavailability(e);
  if (unavailable === "database") return new DatabaseUnavailableError();
  if (unavailable === "dependency") return new DependencyUnavailableError();
  const err = e as PgError;
  if (typeof err?.code !== "string") return undefined;
  const field = err.constraint ? FIELD_BY_CONSTRAINT[err.constraint] : undefined;
  const fields = field ? { [field[0]]: field[1] } : undefined;
  switch (err.code) {
    case "23505": // unique_violation
    case "23P01": // exclusion_violation
      return new ConflictError(field?.[1] ?? "This conflicts with an existing record.", "conflict", fields);
    case "23503": // foreign_key_violation
      return new ValidationError("A referenced record does not exist.", fields, "invalid_reference");
    case "23514": // check_violation
    case "23502": // not_null_violation
      return new ValidationError("A value is not acceptable.", fields);
    case "42501": // insufficient_privilege, including "new row violates row-level security policy"
      return new ForbiddenError();
    case "22P02": // invalid_text_representation
    case "22007": // invalid_datetime_format
    case "22008": // datetime_field_overflow
    case "22003": // numeric_value_out_of_range
    case "22001": // string_data_right_truncation
      return new BadRequestError("A value has the wrong format.", "invalid_value");
    default:
      return undefined;
  }
}

/** The one mapping from anything thrown to the API's error shape. */
export function errorResponse(e: unknown, requestId: string): Response {
  const appError = e instanceof AppError ? e : fromDatabaseError(e);
  if (appError instanceof DatabaseUnavailableError || appError instanceof DependencyUnavailableError) {
    // not the caller's fault and not a bug: say what is down (node-postgres's own errors have a fixed message and no code)
    const cause = e as Error & PgError;
    log.warn({ requestId, code: appError.code, cause: { name: cause?.name, code: cause?.code, message: cause?.code ? undefined : cause?.message } }, "dependency unavailable");
  }
  if (appError) {
    const body: { error: { code: string; message: string; fields?: Record<string, string> } } = {
      error: { code: appError.code, message: appError.message },
    };
    if (appError.fields) body.error.fields = appError.fields;
    return json(body, appError.status, { ...appError.headers, "X-Request-Id": requestId });
  }
  log.error({ requestId, err: { name: (e as Error)?.name, code: (e as PgError)?.code, stack: (e as Error)?.stack } }, "unhandled error");
  return json(
    { error: { code: "internal_error", message: `Something went wrong on our side. Quote request id ${requestId} when reporting it.` } },
    500,
    { "X-Request-Id": requestId },
  );
}
