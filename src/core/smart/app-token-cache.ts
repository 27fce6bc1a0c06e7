import type { AppAccess } from "./authenticate-app-token";

/**
 * App tokens resolved in the last second (as session tokens are, src/core/auth/session-cache.ts).
 * Safe to serve from: withUser still checks the app's session row on every request, so a
 * revoked connection fails at the database even while cached here.
 */
const KEY = Symbol.for("carebase.smart.app-token-cache");
export const APP_TOKEN_CACHE_MS = 1000;

type Cached = { at: number; access: AppAccess };
export function appTokenCache(): Map<string, Cached> {
  const g = globalThis as Record<symbol, Map<string, Cached> | undefined>;
  return (g[KEY] ??= new Map());
}

export function forgetAppTokens(): void {
  appTokenCache().clear();
}
