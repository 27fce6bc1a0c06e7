type RouteHandler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A raw body string (for malformed JSON). */
  raw?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  method?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes?: Buffer;
}

/** Calls a Next route handler directly, as Next would, and decodes its answer. */
export async function call(handler: unknown, opts: CallOptions = {}): Promise<CallResult> {
  const url = new URL("http://localhost/api/test");
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = opts.method ?? (body !== undefined ? "POST" : "GET");
  const req = new Request(url, { method, headers, body });
  const res = await (handler as RouteHandler)(req, { params: Promise.resolve(opts.params ?? {}) });
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return { status: res.status, headers: res.headers, body: await res.json() };
  if (res.status === 204) return { status: 204, headers: res.headers, body: null };
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: null, bytes };
}
