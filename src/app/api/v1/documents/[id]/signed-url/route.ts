import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseOptionalJson } from "@/core/http/parse";
import { issueSignedUrl } from "@/core/storage/issue-signed-url";
import { ZIssueSignedUrlRequest } from "@/core/storage/issue-signed-url.types";

export const dynamic = "force-dynamic";

export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "document id");
  const input = await parseOptionalJson(req, ZIssueSignedUrlRequest);
  return json(await issueSignedUrl(session, id, input, new URL(req.url).origin, context));
});
