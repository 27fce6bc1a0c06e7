import { headers } from "next/headers";
import type { RequestContext } from "@/core/db/with-user";
import { CLIENT_IP_HEADER } from "@/core/http/client-address";
import { acceptRequestId, REQUEST_ID_HEADER } from "@/core/http/request-id";

/**
 * The request's id, client address and user agent for the audit trail, as server.ts
 * stamped them on the incoming request. Reading headers also makes the page dynamic,
 * so no database read ever happens during `next build`.
 */
export async function pageContext(): Promise<RequestContext> {
  const h = await headers();
  return {
    requestId: acceptRequestId(h.get(REQUEST_ID_HEADER)),
    ip: h.get(CLIENT_IP_HEADER) ?? undefined,
    userAgent: h.get("user-agent")?.slice(0, 512) ?? undefined,
  };
}
