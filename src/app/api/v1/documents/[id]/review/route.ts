import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { reviewDocument } from "@/core/storage/review-document";

export const dynamic = "force-dynamic";

export const POST = authed<{ id: string }>(async ({ params, session, context }) => {
  return json(await reviewDocument(session, parseId(params.id, "document id"), context));
});
