import { authed } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { changePassword, ZChangePasswordRequest } from "@/core/auth/change-password";

/** Changes the password; every other session is signed out. */
export const POST = authed(async ({ req, session, context }) => {
  const body = await parseJson(req, ZChangePasswordRequest);
  return json(await changePassword(session, body, context));
});
