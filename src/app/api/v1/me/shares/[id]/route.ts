import { authed } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { revokeShare } from "@/core/sharing/shares";

export const dynamic = "force-dynamic";

/** Revokes a share at once: 204; 404 when it is not the caller's or already revoked. */
export const DELETE = authed<{ id: string }>(async ({ params, session, context }) => {
  await revokeShare(session, parseId(params.id, "share id"), context);
  return noContent();
});
