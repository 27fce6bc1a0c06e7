import { authed } from "@/core/http/route";
import { parseId, parseOptionalJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { setUserActive, ZDeactivateUserRequest } from "@/core/auth/deactivate-user";

/** Deactivates an account (with the admin's reason, for the audit trail); its sessions die at once. */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id);
  const body = await parseOptionalJson(req, ZDeactivateUserRequest);
  return json(await setUserActive(session, id, false, context, body.reason));
});
