import { authed } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { endEmergencyAccess } from "@/core/emergency/emergency-access";

export const dynamic = "force-dynamic";

/** Ends the caller's open grant now: 204; 404 when it is not theirs or already over. */
export const DELETE = authed<{ id: string }>(async ({ params, session, context }) => {
  await endEmergencyAccess(session, parseId(params.id, "emergency access id"), context);
  return noContent();
});
