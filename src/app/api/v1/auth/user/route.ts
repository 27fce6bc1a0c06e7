import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { withUser } from "@/core/db/with-user";
import { loadAccount } from "@/core/auth/account";
import { UnauthorizedError } from "@/core/errors";

export const GET = authed(async ({ session, context }) => {
  const user = await withUser(session, (tx) => loadAccount(tx, session.userId), context);
  if (!user) throw new UnauthorizedError();
  return json({ ...user, mfa_pending: session.mfaPending === true, aal: session.aal });
});
