import { CLIENT_IP_HEADER, requestContext } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { log } from "@/core/log";
import { metrics } from "@/core/ops/metrics";
import { metricsAccess } from "@/core/ops/metrics-access";

export const dynamic = "force-dynamic";

/** Prometheus text format, for whoever holds METRICS_TOKEN; no such endpoint without it (docs/operations.md). */
export async function GET(req: Request): Promise<Response> {
  const access = metricsAccess(req.headers.get("authorization"));
  if (access === "disabled") return json({ error: { code: "not_found", message: "No such API endpoint." } }, 404);
  if (access === "denied") {
    const { requestId } = requestContext(req);
    log.warn({ requestId, ip: req.headers.get(CLIENT_IP_HEADER) ?? undefined }, "metrics: wrong or missing token");
    return json({ error: { code: "unauthorized", message: "A valid metrics token is required." } }, 401, { "WWW-Authenticate": "Bearer" });
  }
  const { registry } = metrics();
  return new Response(await registry.metrics(), {
    status: 200,
    headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  });
}
