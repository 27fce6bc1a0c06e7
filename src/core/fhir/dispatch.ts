import type { Session } from "../auth/session-types";
import type { RequestContext } from "../db/with-user";
import { AppError, BadRequestError, NotFoundError } from "../errors";
import { patientEverything, parseEverythingQuery } from "./patient-everything";
import { readResource } from "./read-resource";
import { fhirJson } from "./respond";
import { definitionOf, searchResources } from "./search-resources";
import { isFhirId } from "./search/search-params";

export class MethodNotAllowedError extends AppError {
  constructor(allowed = "GET") {
    super(405, "method_not_allowed", `This FHIR endpoint answers ${allowed} only.`, { Allow: allowed });
  }
}

/**
 * GET /fhir/R4/{type}, /{type}/{id}, /Patient/{id}/$everything, /Patient/{id}/{type}
 * (compartment search): which interaction a path
 * asks for. Other paths under /fhir/R4 are not found (404 OperationOutcome).
 */
export async function handleFhirGet(session: Session, path: string[], requestUrl: string, context: RequestContext): Promise<Response> {
  const segments = path.map((s) => decodeURIComponent(s));
  if (segments.length === 1) return fhirJson(await searchResources(session, segments[0], requestUrl, context));
  if (segments.length === 2) return fhirJson(await readResource(session, segments[0], segments[1], requestUrl, context));
  if (segments.length === 3 && segments[0] === "Patient" && segments[2] === "$everything") {
    const options = parseEverythingQuery(new URL(requestUrl).searchParams);
    const { bundle } = await patientEverything(session, segments[1], requestUrl, options, context);
    return fhirJson(bundle);
  }
  if (segments.length === 3 && segments[0] === "Patient" && !segments[2].startsWith("$")) {
    // compartment search: /Patient/{id}/{type}?… is /{type}?patient={id}&…
    if (!isFhirId(segments[1])) throw new BadRequestError("The resource id is malformed.", "invalid_id");
    const def = definitionOf(segments[2]);
    if (!def.params.patient) throw new NotFoundError("FHIR endpoint");
    const url = new URL(requestUrl);
    url.searchParams.append("patient", segments[1]);
    return fhirJson(await searchResources(session, segments[2], url.toString(), context));
  }
  throw new NotFoundError("FHIR endpoint");
}
