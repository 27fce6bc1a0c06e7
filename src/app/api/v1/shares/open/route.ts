import { open } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseJson } from "@/core/http/parse";
import { openShare } from "@/core/sharing/shares";
import { ZOpenShareRequest } from "@/core/sharing/sharing.types";

export const dynamic = "force-dynamic";

/**
 * The recipient's read-only view of a share, without an account. The token and the code
 * travel in the body (never in a URL, so never in a log): 200 with the chosen parts only;
 * 422 wrong code; 423 locked; 404 unknown, expired or revoked; 429 too many wrong codes.
 */
export const POST = open(async ({ req, context }) => {
  const input = await parseJson(req, ZOpenShareRequest);
  return json(await openShare(input, context), 200, { "Cache-Control": "no-store" });
});
