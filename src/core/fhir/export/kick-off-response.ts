import type { AuthedCall } from "../../http/route";
import { BadRequestError } from "../../errors";
import { mapContextFor } from "../map-context";
import { startExport } from "./start-export";
import type { ExportLevel } from "./start-export.types";
import { statusPath } from "./export-status";

/**
 * The Bulk Data kick-off, shared by GET /$export and GET /Patient/$export: `Prefer:
 * respond-async` is required; 202 with Content-Location naming the status URL.
 */
export async function kickOff(call: AuthedCall<Record<string, never>>, level: ExportLevel): Promise<Response> {
  const { req, session, context } = call;
  if (!/\brespond-async\b/i.test(req.headers.get("prefer") ?? "")) {
    throw new BadRequestError("Send the header \"Prefer: respond-async\": exports run in the background.", "respond_async_required");
  }
  const accept = req.headers.get("accept");
  if (accept && !/application\/(fhir\+)?json|\*\/\*/i.test(accept)) {
    throw new BadRequestError("Accept must be application/fhir+json.", "unsupported_accept");
  }
  const url = new URL(req.url);
  const { base, origin } = mapContextFor(req.url, session);
  const jobId = await startExport(session, { level, params: Object.fromEntries(url.searchParams), requestUrl: url.toString(), base, origin }, context);
  return new Response(null, {
    status: 202,
    headers: { "Content-Location": `${base}${statusPath(jobId)}`, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  });
}
