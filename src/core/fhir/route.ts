import { authed, open, type AuthedCall, type Call, type RouteParams } from "../http/route";
import { fhirErrorResponse } from "./outcome";

/**
 * The /fhir/R4 route wrappers: the JSON API's own (src/core/http/route.ts: bearer token or
 * cookie session, CSRF check on cookie writes, MFA gate, request id, access log line), with
 * errors rendered as OperationOutcome. Bodies are read with src/core/http/parse.ts's
 * readBodyText (size-capped while streaming), as on the JSON API.
 */
export function fhirAuthed<P extends RouteParams = Record<string, never>>(handler: (call: AuthedCall<P>) => Promise<Response>) {
  return authed<P>(handler, fhirErrorResponse);
}

/** A /fhir/R4 route open to anonymous callers (metadata). */
export function fhirOpen<P extends RouteParams = Record<string, never>>(handler: (call: Call<P>) => Promise<Response>) {
  return open<P>(handler, fhirErrorResponse);
}
