import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseJson } from "@/core/http/parse";
import { openEmergencyAccess } from "@/core/emergency/emergency-access";
import { ZOpenEmergencyAccessRequest } from "@/core/emergency/emergency.types";

export const dynamic = "force-dynamic";

/** Break-the-glass: 201 {id, patient_id, expires_at}; 404 for any miss (no oracle); 422 reason under 10 characters; 429 throttled. */
export const POST = authed(async ({ req, session, context }) => {
  const input = await parseJson(req, ZOpenEmergencyAccessRequest);
  return json(await openEmergencyAccess(session, input, context), 201);
});
