/**
 * The browser's way to the JSON API: same-origin fetch (the session cookies go along;
 * the server's CSRF check sees Sec-Fetch-Site: same-origin). Never throws for HTTP
 * errors: callers get the API's error shape and decide what to show.
 */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; error: ApiError };

export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: init.body === undefined ? { accept: "application/json" } : { "content-type": "application/json", accept: "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { ok: false, error: { status: 0, code: "network_error", message: "Could not reach the server. Check your connection and try again." } };
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
