import { toast } from "sonner";
import type { SessionCheck } from "./realtime/realtime-client";
import { checkBrowserSession } from "./realtime/session-check";

/**
 * The browser's way to the JSON API: same-origin fetch (the session cookies go along;
 * the server's CSRF check sees Sec-Fetch-Site: same-origin). Never throws for HTTP
 * errors: callers get the API's error shape and decide what to show.
 *
 * The access cookie lives 15 minutes and only page navigations renew it (src/proxy.ts), so
 * a page left open longer answers its next request with 401. api() then renews the session
 * once (checkBrowserSession: serialised across tabs, since two tabs spending one refresh
 * token revoke the session) and sends the same request again. When the session cannot be
 * renewed, a read sends the user to /sign-in; a write leaves them on the page with a toast
 * and a Sign in button, so the form keeps what they typed until they have copied it.
 */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; error: ApiError };

export interface ApiInit {
  method?: string;
  body?: unknown;
}

export interface ApiClientDeps {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** Renews the access cookie when the refresh cookie still allows it. */
  checkSession: SessionCheck;
  /** The session is over (refresh refused): `write` is true when the refused request was not a GET. */
  onSessionEnded: (info: { write: boolean }) => void;
}

/**
 * 401s that answer what the user typed (a wrong password or code) rather than the state of
 * the session: renewing the session would not change them.
 */
const CREDENTIAL_CODES = new Set(["invalid_credentials", "invalid_mfa_code", "mfa_required", "invalid_device_token"]);

/** The session machinery itself: sign-in, sign-out, sign-up, refresh. Their 401s are final. */
const SESSION_PATHS = /^\/api\/v1\/auth\/(session|signup|logout|token)(\/|\?|$)/;

const NETWORK: ApiError = { status: 0, code: "network_error", message: "Could not reach the server. Check your connection and try again." };

async function send<T>(doFetch: ApiClientDeps["fetch"], path: string, init: ApiInit): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await doFetch(path, {
      method: methodOf(init),
      headers: init.body === undefined ? { accept: "application/json" } : { "content-type": "application/json", accept: "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { ok: false, error: NETWORK };
  }
  if (res.status === 204) return { ok: true, status: 204, data: undefined as T };
  let body: unknown = undefined;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const e = (body as { error?: Partial<ApiError> } | undefined)?.error;
  return {
    ok: false,
    error: {
      status: res.status,
      code: e?.code ?? "http_error",
      message: e?.message ?? `The server answered ${res.status}.`,
      fields: e?.fields,
    },
  };
}

function methodOf(init: ApiInit): string {
  return (init.method ?? (init.body === undefined ? "GET" : "POST")).toUpperCase();
}

/** Whether a refused request is worth one session renewal and a second try. */
export function wantsRefresh(path: string, error: ApiError): boolean {
  return error.status === 401 && !CREDENTIAL_CODES.has(error.code) && !SESSION_PATHS.test(path);
}

/** api() over injected browser dependencies (the unit tests pass a fake fetch). */
export function createApiClient(deps: ApiClientDeps) {
  // Requests refused together (a page firing several at once) share one renewal.
  let renewing: Promise<Awaited<ReturnType<SessionCheck>>> | null = null;
  const renew = () => {
    renewing ??= deps.checkSession().finally(() => {
      renewing = null;
    });
    return renewing;
  };

  return async function api<T = unknown>(path: string, init: ApiInit = {}): Promise<ApiResult<T>> {
    const first = await send<T>(deps.fetch, path, init);
    if (first.ok || !wantsRefresh(path, first.error)) return first;
    const session = await renew();
    if (session === "ok") return send<T>(deps.fetch, path, init);
    if (session === "expired") deps.onSessionEnded({ write: methodOf(init) !== "GET" });
    return first;
  };
}

const SIGN_IN = "/sign-in?reason=expired";

function sendToSignIn({ write }: { write: boolean }) {
  if (!write) {
    // A read: nothing typed is at stake (the sign-in page says why the user is there).
    window.location.assign(SIGN_IN);
    return;
  }
  toast.error("Your session has ended", {
    id: "session-ended",
    description: "Nothing was saved. Copy anything you typed, then sign in again.",
    duration: Infinity,
    action: { label: "Sign in", onClick: () => window.location.assign(SIGN_IN) },
  });
}

export const api = createApiClient({
  fetch: (input, init) => fetch(input, init),
  checkSession: checkBrowserSession,
  onSessionEnded: sendToSignIn,
});
