/**
 * The request id that ties a request's log lines, error answers and audit records together.
 * A client (or the proxy in front) may send its own X-Request-Id so support can follow one
 * request end to end; it is kept only when it is a plain token — 8 to 64 letters, digits
 * and dashes — so nothing else reaches the logs or the audit trail through it.
 */
export const REQUEST_ID_HEADER = "x-request-id";

const PLAIN_ID = /^[A-Za-z0-9-]{8,64}$/;

/** The given id when it is a plain token, else undefined (the caller makes a fresh one). */
export function acceptRequestId(given: string | string[] | null | undefined): string | undefined {
  return typeof given === "string" && PLAIN_ID.test(given) ? given : undefined;
}
