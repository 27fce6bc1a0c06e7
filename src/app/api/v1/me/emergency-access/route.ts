import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { listMyEmergencyAccesses } from "@/core/emergency/emergency-access";

export const dynamic = "force-dynamic";

/** Emergency (break-the-glass) accesses to the caller's own record, with who and why (patients). */
export const GET = authed(async ({ session, context }) => json({ data: await listMyEmergencyAccesses(session, context) }));
