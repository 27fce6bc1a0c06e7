import { Readable } from "node:stream";
import { open } from "@/core/http/route";
import { downloadDocument } from "@/core/storage/download-document";

export const dynamic = "force-dynamic";

/**
 * A signed URL. The token in the path is the only credential (it is short-lived and bound
 * to the user it was issued to); the request logger redacts this path segment.
 */
export const GET = open<{ token: string }>(async ({ params, context }) => {
  const file = await downloadDocument(params.token ?? "", context);
  return new Response(Readable.toWeb(Readable.from(file.body)) as ReadableStream, {
    status: 200,
    headers: {
      "Content-Type": file.contentType,
      "Content-Length": String(file.size),
      "Content-Disposition": file.disposition,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
      "Content-Security-Policy": "sandbox; default-src 'none'",
      "Referrer-Policy": "no-referrer",
    },
  });
});
