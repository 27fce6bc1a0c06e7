import { UnauthorizedError } from "../errors";
import { fhirErrorResponse } from "../fhir/outcome";
import { openOrApp, type AppAwareCall, type AppDoor, type RouteParams } from "../http/route";
import { authenticateAppToken, looksLikeAppToken, type AppAccess } from "./authenticate-app-token";

const APP_DOOR: AppDoor<AppAccess> = { matches: looksLikeAppToken, resolve: authenticateAppToken };

/**
 * A /fhir/R4 route that takes an outside app's token (SMART on FHIR) as well as the
 * portal's own session: `app` is set for the former, and `session` is then the app's
 * session. Anonymous calls are refused (401 OperationOutcome), as with fhirAuthed.
 */
export function fhirAuthedOrApp<P extends RouteParams = Record<string, never>>(
  handler: (call: AppAwareCall<P, AppAccess> & { session: NonNullable<AppAwareCall<P, AppAccess>["session"]> }) => Promise<Response>,
) {
  return openOrApp<P, AppAccess>(APP_DOOR, async (call) => {
    if (!call.session) throw new UnauthorizedError();
    return handler({ ...call, session: call.session });
  }, fhirErrorResponse);
}
