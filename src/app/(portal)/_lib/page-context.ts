import { headers } from "next/headers";
import type { RequestContext } from "@/core/db/with-user";

/**
 * The request's id, client address and user agent for the audit trail, as server.ts
 * stamped them on the incoming request. Reading headers also makes the page dynamic,
 * so no database read ever happens during `next build`.
 */
export async function pageContext(): Promise<RequestContext> {
  const h = await headers();
  const id = h.get("x-request-id");
  return {
    requestId: id && /^[A-Za-z0-9-]{8,64}$/.test(id) ? id : undefined,
    ip: h.get("x-carebase-client-ip") ?? undefined,
    userAgent: h.get("user-agent")?.slice(0, 512) ?? undefined,
  };
}
