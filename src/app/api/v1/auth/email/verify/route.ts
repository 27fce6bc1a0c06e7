import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { confirmEmail } from "@/core/auth/verify-email";
import { ZConfirmEmailRequest } from "@/core/auth/email-links.types";

/** Confirms an account's address with the mailed link's token (single use, 48 hours). */
export const POST = open(async ({ req, context }) => {
  return json(await confirmEmail(await parseJson(req, ZConfirmEmailRequest), context));
});
