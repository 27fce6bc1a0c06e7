import { z } from "zod";
import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseQuery } from "@/core/http/parse";
import { listEmergencyGrants } from "@/core/emergency/emergency-access";

export const dynamic = "force-dynamic";

const ZQuery = z.strictObject({ unreviewed: z.enum(["true", "false"]).optional() });

/** Every break-the-glass grant with its reason, the reads made under it and its review (admin, aal2). */
export const GET = authed(async ({ req, session, context }) => {
  const q = parseQuery(req, ZQuery);
  return json({ data: await listEmergencyGrants(session, context, { unreviewedOnly: q.unreviewed === "true" }) });
});
