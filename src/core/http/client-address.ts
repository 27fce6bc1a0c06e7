/**
 * Who is on the other end of a request, and which X-Forwarded-* values to believe.
 * Framework-free: server.ts stamps every request with it, and the route helpers, the
 * cookie code and the page proxy read forwarded headers through it and nowhere else.
 *
 * TRUST_PROXY is the number of reverse proxies in front of Carebase (unset or 0: none).
 * Each proxy appends the address it received the request from to X-Forwarded-For, so the
 * entries a client wrote come first and the entry the outermost trusted proxy wrote is the
 * TRUST_PROXY-th from the right. Without TRUST_PROXY no forwarded header is believed.
 * Be extremely careful when modifying this file: the sign-in throttle, the audit trail's
 * addresses, the CSRF origin check and the Secure cookie flag depend on it.
 */

import { envFrom, MAX_PROXY_HOPS, type EnvSource } from "../config/env";

/** Set by server.ts from the socket and the trusted proxies; a client's own copy is overwritten. */
export const CLIENT_IP_HEADER = "x-carebase-client-ip";

export { MAX_PROXY_HOPS };

type HeaderValue = string | string[] | null | undefined;

/**
 * TRUST_PROXY as a hop count: 0 when unset (or 0/false/off/no), 1..10 for that many proxies.
 * Anything else — `true`, `yes`, `loopback`, a subnet — is refused: "trust everything"
 * would take the leftmost entry again, which the client writes.
 */
export function trustedProxyHops(source?: EnvSource): number {
  return envFrom(source).TRUST_PROXY;
}

/**
 * The entry of a comma-separated forwarded header that the outermost trusted proxy wrote:
 * the hops-th from the right, or the leftmost when there are fewer entries than hops (the
 * request skipped a proxy further out; every entry present was still written by one of
 * ours). Undefined without trusted proxies or without the header.
 */
export function trustedEntry(value: HeaderValue, hops: number): string | undefined {
  if (hops <= 0 || value === null || value === undefined) return undefined;
  const entries = (Array.isArray(value) ? value.join(",") : value).split(",");
  return entries[Math.max(0, entries.length - hops)].trim();
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address (a port or brackets around it dropped), or undefined. */
export function parseIpAddress(entry: string | undefined): string | undefined {
  if (!entry || entry.length > 64) return undefined;
  let address = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed) address = bracketed[1];
  else if (/^[\d.]+:\d{1,5}$/.test(address)) address = address.slice(0, address.lastIndexOf(":"));
  if (IPV4.test(address)) return address;
  if (!address.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(address)) return undefined;
  try {
    new URL(`http://[${address}]/`); // the WHATWG parser accepts exactly the valid IPv6 forms
  } catch {
    return undefined;
  }
  return address.toLowerCase();
}

/**
 * The client's address: the X-Forwarded-For entry the outermost trusted proxy appended,
 * else the socket's peer. A value there that is not an address (a proxy writing "unknown")
 * also falls back to the peer.
 */
export function clientAddress(forwardedFor: HeaderValue, remoteAddress: string | undefined, hops: number): string {
  return parseIpAddress(trustedEntry(forwardedFor, hops)) ?? remoteAddress ?? "";
}

/** X-Forwarded-Proto as the trusted proxy wrote it ("http" or "https"); undefined without TRUST_PROXY. */
export function forwardedProto(value: HeaderValue, hops: number): "http" | "https" | undefined {
  const entry = trustedEntry(value, hops)?.toLowerCase();
  return entry === "http" || entry === "https" ? entry : undefined;
}

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** X-Forwarded-Host as the trusted proxy wrote it (host[:port], lower case); undefined without TRUST_PROXY. */
export function forwardedHost(value: HeaderValue, hops: number): string | undefined {
  const entry = trustedEntry(value, hops)?.toLowerCase();
  return entry && entry.length <= 261 && HOST.test(entry) ? entry : undefined;
}

/**
 * What server.ts does to every request (HTTP and WebSocket upgrade) before anything reads
 * it: stamps the client address, and leaves X-Forwarded-Proto and X-Forwarded-Host holding
 * only the value the trusted proxy wrote — or removes them, with the other X-Forwarded-*
 * headers, when no proxy is trusted. Next derives the request URL's scheme from
 * X-Forwarded-Proto and the realtime hub compares X-Forwarded-Host with the Origin, so a
 * client's copy must not get that far.
 */
export function stampForwardedHeaders(
  headers: Record<string, string | string[] | undefined>,
  remoteAddress: string | undefined,
  hops: number,
): void {
  headers[CLIENT_IP_HEADER] = clientAddress(headers["x-forwarded-for"], remoteAddress, hops);
  if (hops === 0) {
    for (const name of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"]) delete headers[name];
    return;
  }
  const proto = forwardedProto(headers["x-forwarded-proto"], hops);
  const host = forwardedHost(headers["x-forwarded-host"], hops);
  if (proto) headers["x-forwarded-proto"] = proto;
  else delete headers["x-forwarded-proto"];
  if (host) headers["x-forwarded-host"] = host;
  else delete headers["x-forwarded-host"];
}
