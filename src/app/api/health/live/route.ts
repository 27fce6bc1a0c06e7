import { json } from "@/core/http/respond";

export const dynamic = "force-dynamic";

/** Liveness: the process runs and answers HTTP. Nothing else is checked (that is readiness). */
export function GET(): Response {
  return json({ status: "ok" });
}
