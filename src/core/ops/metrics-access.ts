import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "../config/env";

/**
 * Who may read /api/metrics: whoever presents `Authorization: Bearer $METRICS_TOKEN`.
 * Without METRICS_TOKEN the endpoint does not exist (404). The comparison takes the same
 * time whatever the guess (both sides hashed to 32 bytes, then compared in constant time).
 */
export type MetricsAccess = "disabled" | "denied" | "allowed";

export function metricsAccess(authorization: string | null, token: string | undefined = env().METRICS_TOKEN): MetricsAccess {
  if (!token) return "disabled";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  const given = createHash("sha256").update(m?.[1] ?? "").digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) && m ? "allowed" : "denied";
}
