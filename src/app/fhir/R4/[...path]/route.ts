import { handleFhirGet, MethodNotAllowedError } from "@/core/fhir/dispatch";
import { fhirAuthed, fhirOpen } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** Read, search and $everything (src/core/fhir/dispatch.ts); errors are OperationOutcome. */
export const GET = fhirAuthed<{ path: string[] }>(async ({ req, params, session, context }) =>
  handleFhirGet(session, params.path, req.url, context),
);

const notAllowed = fhirOpen<{ path: string[] }>(async () => {
  throw new MethodNotAllowedError();
});
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
