import { authed } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { deleteDocument } from "@/core/storage/delete-document";
import { ZDeleteDocumentRequest } from "@/core/storage/delete-document.types";

export const dynamic = "force-dynamic";

/** Soft delete with a reason: `{"reason": "..."}` (attending members of the care team). */
export const DELETE = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "document id");
  const input = await parseJson(req, ZDeleteDocumentRequest);
  await deleteDocument(session, id, input, context);
  return noContent();
});
