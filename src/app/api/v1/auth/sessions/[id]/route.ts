import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { noContent } from "@/core/http/respond";
import { revokeOwnSession } from "@/core/auth/revoke-own-session";
import { NotFoundError } from "@/core/errors";

/** Signs out one of the caller's own sessions. */
export const DELETE = authed<{ id: string }>(async ({ params, session, context }) => {
  const id = parseId(params.id);
  if (!(await revokeOwnSession(session, id, context))) throw new NotFoundError("session");
  return noContent();
});
