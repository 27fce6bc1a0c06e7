import { authed } from "@/core/http/route";
import { parseId, parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { resetUserMfa } from "@/core/auth/reset-mfa";
import { ZResetMfaRequest } from "@/core/auth/reset-mfa.types";

export const dynamic = "force-dynamic";

/** Removes another account's two-step verification (`{"reason": "..."}`); its sessions die at once. Admins with aal2. */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "user id");
  const input = await parseJson(req, ZResetMfaRequest);
  return json(await resetUserMfa(session, id, input, context));
});
