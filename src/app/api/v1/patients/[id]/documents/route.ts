import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { listDocuments } from "@/core/storage/list-documents";
import { uploadDocument } from "@/core/storage/upload-document";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json({ data: await listDocuments(session, parseId(params.id, "patient id"), context) });
});

/** multipart/form-data: file, document_type, description. Streamed; never buffered whole. */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const length = req.headers.get("content-length");
  const body = req.body ? Readable.fromWeb(req.body as unknown as NodeWebReadableStream) : Readable.from([]);
  const doc = await uploadDocument(
    session,
    id,
    { contentType: req.headers.get("content-type"), contentLength: length === null ? null : Number(length), body },
    context,
  );
  return json(doc, 201);
});
