import pino from "pino";
import { env } from "./config/env";

/**
 * The process logger. Log ids (user, patient, request), never names, bodies, passwords or
 * tokens. Redaction is a safety net, not a licence.
 */
const KEY = Symbol.for("carebase.logger");
const g = globalThis as unknown as Record<symbol, pino.Logger | undefined>;

export const log: pino.Logger = (g[KEY] ??= pino({
  level: env().LOG_LEVEL ?? (env().NODE_ENV === "test" ? "silent" : "info"),
  base: undefined,
  redact: {
    paths: [
      "password", "*.password", "token", "*.token", "access_token", "*.access_token", "refresh_token",
      "*.refresh_token", "authorization", "*.authorization", "headers.cookie", "*.headers.cookie",
      "totp_code", "*.totp_code", "invite_code", "*.invite_code",
    ],
    censor: "[redacted]",
  },
}));

/** Strips secrets from a URL before it is logged (the WebSocket endpoint takes ?access_token=). */
export function redactUrl(url: string): string {
  return url
    .replace(/([?&](?:access_token|token|code|invite_code)=)[^&#]*/gi, "$1[redacted]")
    // signed download URLs carry their capability token as a path segment
    .replace(/(\/api\/v1\/files\/)[^/?#]+/gi, "$1[redacted]");
}
