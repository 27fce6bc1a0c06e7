import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { requestPasswordReset } from "@/core/auth/request-password-reset";
import { ZForgotPasswordRequest } from "@/core/auth/request-password-reset.types";

/** 202 whether or not the email has an account (no enumeration); the link goes by mail. */
export const POST = open(async ({ req, context }) => {
  const body = await parseJson(req, ZForgotPasswordRequest);
  await requestPasswordReset(body, context);
  return json({ status: "accepted", message: "If this address belongs to an account, a link to reset the password is on its way. It works for 30 minutes." }, 202);
});
