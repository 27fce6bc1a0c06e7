import { handleFhirGet, MethodNotAllowedError } from "@/core/fhir/dispatch";
import { fhirOpen } from "@/core/fhir/route";
import { handleAppFhirGet } from "@/core/smart/fhir-app-get";
import { fhirAuthedOrApp } from "@/core/smart/fhir-route";

export const dynamic = "force-dynamic";

/**
 * Read, search and $everything (src/core/fhir/dispatch.ts); errors are OperationOutcome. With
 * an outside app's token (SMART on FHIR), its scopes narrow what its user may read (src/core/smart).
 */
export const GET = fhirAuthedOrApp<{ path: string[] }>(async ({ req, params, session, app, context }) =>
  app ? handleAppFhirGet(app, params.path, req.url, context) : handleFhirGet(session, params.path, req.url, context),
);

const notAllowed = fhirOpen<{ path: string[] }>(async () => {
  throw new MethodNotAllowedError();
});
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
