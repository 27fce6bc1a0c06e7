import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { unlockAccount } from "@/core/auth/unlock-account";

/** Clears an account's sign-in lockout (admin, aal2). */
export const POST = authed<{ id: string }>(async ({ params, session, context }) => {
  return json(await unlockAccount(session, parseId(params.id), context));
});
