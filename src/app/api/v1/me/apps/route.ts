import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { listMyApps } from "@/core/smart/list-my-apps";

export const dynamic = "force-dynamic";

/** The caller's connected apps, with the scopes granted and last use. */
export const GET = authed(async ({ session, context }) => json({ data: await listMyApps(session, context) }));
