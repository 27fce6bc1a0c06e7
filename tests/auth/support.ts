import { randomInt } from "node:crypto";
import { Secret, TOTP } from "otpauth";

/** Calls a route handler the way Next does, without a Next build. */
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  cookies?: Record<string, string>;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** The client IP as server.ts stamps it; a fresh one per call unless given. */
  ip?: string;
  /** For cookie calls: "same-origin" (default) or a cross-site Origin. */
  site?: "same-origin" | "cross-site";
}

export const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are inspected loosely
export async function call(handler: unknown, path: string, opts: CallOptions = {}): Promise<{ status: number; body: any; headers: Headers; res: Response }> {
  const headers: Record<string, string> = { "x-carebase-client-ip": opts.ip ?? randomIp(), ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookies) {
    headers.cookie = Object.entries(opts.cookies).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
    if (opts.site === "cross-site") {
      headers.origin = "https://evil.example";
      headers["sec-fetch-site"] = "cross-site";
    } else {
      headers["sec-fetch-site"] = "same-origin";
    }
  }
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const req = new Request(`http://localhost${path}`, { method: opts.method ?? (body ? "POST" : "GET"), headers, body });
  const res = await (handler as Handler)(req, { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.clone().text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers, res };
}

/** The current TOTP code for a base32 secret (what the user's authenticator shows). */
export function totpNow(secret: string, offsetSteps = 0): string {
  const t = new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return t.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

/** Set-Cookie values of a response as name → value ("" when cleared). */
export function setCookies(headers: Headers): Record<string, { value: string; attrs: string }> {
  const out: Record<string, { value: string; attrs: string }> = {};
  for (const c of headers.getSetCookie()) {
    const [pair, ...attrs] = c.split(";");
    const eq = pair.indexOf("=");
    out[pair.slice(0, eq).trim()] = { value: decodeURIComponent(pair.slice(eq + 1)), attrs: attrs.join(";") };
  }
  return out;
}

export const STRONG_PASSWORD = "violet tram across the harbour";
