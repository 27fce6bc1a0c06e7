import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseJson } from "@/core/http/parse";
import { createShare, listShares } from "@/core/sharing/shares";
import { ZCreateShareRequest } from "@/core/sharing/sharing.types";

export const dynamic = "force-dynamic";

/** The caller's sharing links with their views (patients; others get an empty list). */
export const GET = authed(async ({ session, context }) => json({ data: await listShares(session, context) }));

/** A new share of the caller's own record: 201 {id, url, code, …}; the link and the code are shown only here. */
export const POST = authed(async ({ req, session, context }) => {
  const input = await parseJson(req, ZCreateShareRequest);
  return json(await createShare(session, input, context), 201, { "Cache-Control": "no-store" });
});
