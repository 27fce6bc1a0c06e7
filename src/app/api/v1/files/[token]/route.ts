import { open } from "@/core/http/route";
import { downloadDocument } from "@/core/storage/download-document";

export const dynamic = "force-dynamic";

/**
 * A signed URL. The token in the path is the only credential (it is short-lived and bound
 * to the user it was issued to); the request logger redacts this path segment.
 */
export const GET = open<{ token: string }>(async ({ params, context }) => {
  const file = await downloadDocument(params.token ?? "", context);
  return new Response(webStream(file.body), {
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

/**
 * The verified plaintext as the Web stream a Response wants, pulled straight from the
 * iterator (one frame per chunk, no Node stream in between); cancelling the response (the
 * client went away) closes the file.
 */
function webStream(body: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next(); // a failure here errors the stream: the response is cut short
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}
