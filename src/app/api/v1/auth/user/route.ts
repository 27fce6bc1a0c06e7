import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { readOwnAccount } from "@/core/auth/account";
import { UnauthorizedError } from "@/core/errors";

export const GET = authed(async ({ session, context }) => {
  const user = await readOwnAccount(session, context);
  if (!user) throw new UnauthorizedError();
  return json({ ...user, mfa_pending: session.mfaPending === true, aal: session.aal });
});
