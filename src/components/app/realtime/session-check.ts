import type { SessionCheck } from "./realtime-client";

/**
 * Called when the realtime socket could not open: a browser cannot see the HTTP status of
 * a refused upgrade, so this asks the API. An expired access cookie is refreshed (the
 * endpoint src/proxy.ts uses), serialised across the tab's siblings with a Web Lock,
 * because two tabs spending the same refresh token would revoke the session.
 */
export const checkBrowserSession: SessionCheck = async () => {
  const user = await status("/api/v1/auth/user", "GET");
  if (user === 0) return "unknown";
  if (user !== 401) return "ok";
  const refreshed = await withRefreshLock(async () => {
    // Another tab may have refreshed while this one waited for the lock.
    if ((await status("/api/v1/auth/user", "GET")) === 200) return true;
    return (await status("/api/v1/auth/session/refresh", "POST")) === 200;
  });
  return refreshed ? "ok" : "expired";
};

async function status(path: string, method: "GET" | "POST"): Promise<number> {
  try {
    const res = await fetch(path, { method, credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } });
    // Only the status matters; an unread body keeps the request open in Chromium (the page never goes idle).
    await res.body?.cancel().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
}

async function withRefreshLock(fn: () => Promise<boolean>): Promise<boolean> {
  const locks = typeof navigator !== "undefined" ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks) return fn();
  return (await locks.request("carebase-session-refresh", fn)) as boolean;
}
