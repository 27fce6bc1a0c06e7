import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ACCESS_COOKIE } from "../auth/cookie-names";
import { authenticateAccessToken } from "../auth/authenticate-access-token";
import type { Session } from "../auth/session-types";
import { readCookieHeader } from "../http/read-cookie";
import { sameOriginOrNone } from "./origin-check";

/**
 * The session of an upgrade request: `?access_token=` or the access cookie (the cookie only
 * from our own origin). Null when there is none, it is not valid, or the origin is foreign.
 */
export async function authenticateUpgrade(req: IncomingMessage): Promise<Session | null> {
  const url = new URL(req.url ?? "/", "http://localhost");
  let token = url.searchParams.get("access_token");
  if (!token) {
    token = readCookieHeader(req.headers.cookie, ACCESS_COOKIE) ?? null;
    if (token && !sameOriginOrNone(req)) return null;
  }
  if (!token || token.length > 4096) return null;
  try {
    return await authenticateAccessToken(token);
  } catch {
    return null;
  }
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuse(socket: Duplex, status: number, text: string, message?: string): void {
  if (socket.destroyed) return;
  if (!message) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const code = status === 429 ? "too_many_connections" : status === 403 ? "mfa_required" : "refused";
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
