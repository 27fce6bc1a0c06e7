import { authed } from "@/core/http/route";
import { parseJson, validate } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { requireAdmin } from "@/core/auth/require";
import { setAppDisabled } from "@/core/smart/set-app-disabled";
import { ZClientIdParam, ZSetAppDisabledRequest } from "@/core/smart/register-app.types";

export const dynamic = "force-dynamic";

/** Disables an app (every connection to it ends at once) or enables it again. */
export const PATCH = authed<{ client_id: string }>(async ({ req, params, session, context }) => {
  requireAdmin(session);
  const clientId = validate(ZClientIdParam, params.client_id, "client_id");
  const body = await parseJson(req, ZSetAppDisabledRequest);
  return json(await setAppDisabled(session, clientId, body.disabled, context));
});
