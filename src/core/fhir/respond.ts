import { BASE_HEADERS } from "../http/respond";

export const FHIR_JSON = "application/fhir+json; charset=utf-8";

/** A FHIR answer: `application/fhir+json`, with the JSON API's security headers. */
export function fhirJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, "Content-Type": FHIR_JSON, ...headers },
  });
}
