import type { IncomingMessage } from "node:http";
import { forwardedHost, trustedProxyHops } from "../http/client-address";

/**
 * Cross-site WebSocket hijacking: a cookie rides along from any page, so a browser
 * connection authenticated by cookie must come from our own origin. True when the request
 * carries no Origin (not a browser) or an Origin whose host is this one.
 */
export function sameOriginOrNone(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  // X-Forwarded-Host is believed only behind a trusted proxy (TRUST_PROXY), as it wrote it.
  const expected = forwardedHost(req.headers["x-forwarded-host"], trustedProxyHops()) ?? req.headers.host;
  return host === expected;
}
