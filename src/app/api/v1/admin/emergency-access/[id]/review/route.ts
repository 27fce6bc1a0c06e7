import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { reviewEmergencyGrant } from "@/core/emergency/emergency-access";
import { ZReviewEmergencyAccessRequest } from "@/core/emergency/emergency.types";

export const dynamic = "force-dynamic";

/** Records an admin's review of a grant: {outcome: "appropriate"|"inappropriate", note} → 200. */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "emergency access id");
  return json(await reviewEmergencyGrant(session, id, await parseJson(req, ZReviewEmergencyAccessRequest), context));
});
