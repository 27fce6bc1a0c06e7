import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseQuery } from "@/core/http/parse";
import { listEmergencyGrants } from "@/core/emergency/emergency-access";
import { ZListEmergencyGrantsQuery } from "@/core/emergency/emergency.types";

export const dynamic = "force-dynamic";

/** Every break-the-glass grant with its reason, the reads made under it and its review (admin, aal2). */
export const GET = authed(async ({ req, session, context }) => {
  const q = parseQuery(req, ZListEmergencyGrantsQuery);
  return json({ data: await listEmergencyGrants(session, context, { unreviewedOnly: q.unreviewed === "true" }) });
});
