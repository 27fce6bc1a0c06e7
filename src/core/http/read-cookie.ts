import { parseCookie } from "cookie";

/** One cookie's value from a Cookie header (the `cookie` package decodes it; a malformed value is returned as sent). */
export function readCookieHeader(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  return parseCookie(header)[name];
}
