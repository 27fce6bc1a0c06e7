import { json, errorResponse } from "@/core/http/respond";
import { parseJson } from "@/core/http/parse";
import { requestContext } from "@/core/http/route";
import { UnauthorizedError } from "@/core/errors";
import { log } from "@/core/log";
import { ingestVitals } from "@/core/vitals/ingest-vitals";
import { ZIngestVitalsRequest } from "@/core/vitals/ingest-vitals.types";

export const dynamic = "force-dynamic";

/**
 * Wearable ingestion. Authenticated by a device token (not a user session), so it does
 * not go through authed(): the token is checked by the database inside withDevice.
 */
export async function POST(req: Request): Promise<Response> {
  const context = requestContext(req);
  const started = performance.now();
  let status = 500;
  try {
    const m = /^Bearer\s+(\S{1,200})$/i.exec(req.headers.get("authorization")?.trim() ?? "");
    if (!m) throw new UnauthorizedError("Send the device token as \"Authorization: Bearer <token>\".", "invalid_device_token");
    const body = await parseJson(req, ZIngestVitalsRequest);
    const res = json(await ingestVitals(m[1], body, context), 202, { "X-Request-Id": context.requestId! });
    status = res.status;
    return res;
  } catch (e) {
    const res = errorResponse(e, context.requestId!);
    status = res.status;
    return res;
  } finally {
    log.info({ requestId: context.requestId, method: "POST", path: "/api/v1/vitals", status, ms: Math.round(performance.now() - started) }, "request");
  }
}
