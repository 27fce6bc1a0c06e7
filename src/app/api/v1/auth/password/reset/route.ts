import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { resetPassword } from "@/core/auth/reset-password";
import { ZResetPasswordRequest } from "@/core/auth/request-password-reset.types";

/** Sets a new password with a mailed link's token; every session of the account is signed out. */
export const POST = open(async ({ req, context }) => {
  const body = await parseJson(req, ZResetPasswordRequest);
  return json(await resetPassword(body, context));
});
