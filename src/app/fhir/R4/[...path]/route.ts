import { handleFhirGet, MethodNotAllowedError } from "@/core/fhir/dispatch";
import { fhirAuthed, fhirOpen } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** Read, search and $everything (src/core/fhir/dispatch.ts); errors are OperationOutcome. */
export const GET = fhirAuthed<Record<string, string>>(async ({ req, params, session, context }) =>
  // a catch-all segment's value is the list of path segments
  handleFhirGet(session, params.path as unknown as string[], req.url, context),
);

const notAllowed = fhirOpen(async () => {
  throw new MethodNotAllowedError();
});
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
