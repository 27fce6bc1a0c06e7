import type { ApiError, ApiResult } from "../api-client";
import { checkBrowserSession } from "../realtime/session-check";

/**
 * The documents UI's requests. Uploads go through XMLHttpRequest because fetch() reports no
 * upload progress; like api(), they are same-origin with the session cookies, so the
 * browser adds Origin and Sec-Fetch-Site: same-origin and the server's CSRF check passes.
 * The access cookie lives 15 minutes and only page navigations refresh it (src/proxy.ts),
 * so a 401 is answered once with a silent refresh (checkBrowserSession: serialised across
 * tabs, since two tabs spending one refresh token revoke the session) and the same request
 * again, as api() does for every JSON request; uploads also check the session first. A
 * user who chose a file and typed a description does not lose them to an expired cookie.
 */

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface Upload<T> {
  result: Promise<ApiResult<T>>;
  abort: () => void;
}

const ABORTED: ApiError = { status: 0, code: "aborted", message: "Upload cancelled." };
const SIGNED_OUT: ApiError = { status: 401, code: "unauthorized", message: "Your session has ended. Sign in again to upload." };
const NETWORK: ApiError = { status: 0, code: "network_error", message: "The upload was interrupted. Check your connection and try again." };

function errorOf(status: number, body: unknown): ApiError {
  const e = (body as { error?: Partial<ApiError> } | undefined)?.error;
  return { status, code: e?.code ?? "http_error", message: e?.message ?? `The server answered ${status}.`, fields: e?.fields };
}

/** One multipart POST with progress events; never rejects (the API's error shape, or aborted / network_error). */
function post<T>(url: string, form: FormData, onProgress: (p: UploadProgress) => void, signal: { aborted: boolean; xhr?: XMLHttpRequest }): Promise<ApiResult<T>> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, error: ABORTED });
    const xhr = new XMLHttpRequest();
    signal.xhr = xhr;
    xhr.open("POST", url);
    xhr.setRequestHeader("accept", "application/json");
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => {
      let body: unknown = undefined;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ ok: true, status: xhr.status, data: body as T });
      else resolve({ ok: false, error: errorOf(xhr.status, body) });
    };
    xhr.onabort = () => resolve({ ok: false, error: ABORTED });
    xhr.onerror = () => resolve({ ok: false, error: NETWORK });
    xhr.send(form);
  });
}

/** Sends `form` to `url` with upload progress; `abort()` cancels it (xhr.abort()). */
export function uploadWithProgress<T>(url: string, form: FormData, onProgress: (p: UploadProgress) => void): Upload<T> {
  const signal: { aborted: boolean; xhr?: XMLHttpRequest } = { aborted: false };
  const result = (async () => {
    // The session first: an expired cookie is renewed, and a session that has ended is
    // known, before megabytes are sent for nothing.
    if ((await checkBrowserSession()) === "expired") return { ok: false as const, error: SIGNED_OUT };
    const first = await post<T>(url, form, onProgress, signal);
    if (first.ok || first.error.status !== 401 || signal.aborted) return first;
    if ((await checkBrowserSession()) !== "ok") return first;
    onProgress({ loaded: 0, total: 0 });
    return post<T>(url, form, onProgress, signal);
  })();
  return {
    result,
    abort: () => {
      signal.aborted = true;
      signal.xhr?.abort();
    },
  };
}
