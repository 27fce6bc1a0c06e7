import { json } from "@/core/http/respond";
import { checkReadiness } from "@/core/ops/readiness";

export const dynamic = "force-dynamic";

/** Readiness: 200 when every check passes, 503 otherwise; the body names each check (docs/operations.md). */
export async function GET(): Promise<Response> {
  const { ready, checks } = await checkReadiness();
  return json({ status: ready ? "ready" : "unavailable", checks }, ready ? 200 : 503);
}
