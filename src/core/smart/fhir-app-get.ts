import type { RequestContext } from "../db/with-user";
import { ForbiddenError, NotFoundError } from "../errors";
import { handleFhirGet } from "../fhir/dispatch";
import { fhirJson } from "../fhir/respond";
import { definitionOf, searchResources } from "../fhir/search-resources";
import type { AppAccess } from "./authenticate-app-token";
import { scopesAllow, type Interaction } from "./scopes";

const notCovered = (what: string) =>
  new ForbiddenError(`The app's granted scopes do not cover ${what}.`, "insufficient_scope");

/**
 * GET /fhir/R4/… with an app's token: what the app may read is what its user may read (the
 * FHIR core reads through withUser as the app's session, so RLS decides) narrowed by the
 * token's scopes. A `user/…` scope covering the type lets the request through as it is; a
 * `patient/…` scope lets it through for the launch patient only (searches get that patient
 * as a parameter, reads of another patient's data are not found). A type no scope covers is
 * refused with 403 OperationOutcome (code insufficient_scope).
 */
export async function handleAppFhirGet(access: AppAccess, path: string[], requestUrl: string, context: RequestContext): Promise<Response> {
  const segments = path.map((s) => decodeURIComponent(s));
  let type: string;
  let interaction: Interaction;
  if (segments.length === 1) [type, interaction] = [segments[0], "search"];
  else if (segments.length === 2) [type, interaction] = [segments[0], "read"];
  else if (segments.length === 3 && segments[0] === "Patient" && segments[2] === "$everything") [type, interaction] = ["*", "read"];
  else if (segments.length === 3 && segments[0] === "Patient") [type, interaction] = [segments[2], "search"];
  else throw new NotFoundError("FHIR endpoint");
  if (type !== "*") definitionOf(type); // an unknown type is not found, whatever the scopes

  const userScopes = access.scopes.filter((s) => s.startsWith("user/"));
  if (scopesAllow(userScopes, type, interaction)) return handleFhirGet(access.session, path, requestUrl, context);

  const patientScopes = access.scopes.filter((s) => s.startsWith("patient/"));
  const patientId = access.patientId;
  if (!patientId || !scopesAllow(patientScopes, type, interaction)) throw notCovered(type === "*" ? "the whole record" : type);

  // patient context: this one patient only
  if (segments.length === 3) {
    if (segments[1] !== patientId) throw new NotFoundError("patient");
    return handleFhirGet(access.session, path, requestUrl, context);
  }
  const def = definitionOf(type);
  const url = new URL(requestUrl);
  if (segments.length === 1) {
    if (type === "Patient") url.searchParams.append("_id", patientId);
    else if (def.params.patient) url.searchParams.append("patient", patientId);
    else throw notCovered(`${type} outside the patient's record`);
    return fhirJson(await searchResources(access.session, type, url.toString(), context));
  }
  // a read: the resource only if it is this patient's
  const id = segments[1];
  if (type === "Patient") {
    if (id !== patientId) throw new NotFoundError("Patient");
    return handleFhirGet(access.session, path, requestUrl, context);
  }
  if (!def.params.patient) throw notCovered(`${type} outside the patient's record`);
  const search = new URL(`${url.origin}${url.pathname.replace(/\/[^/]+$/, "")}`);
  search.searchParams.set("_id", id);
  search.searchParams.set("patient", patientId);
  const bundle = await searchResources(access.session, type, search.toString(), context);
  const found = bundle.entry?.[0]?.resource;
  if (!found) throw new NotFoundError(type);
  return fhirJson(found);
}
