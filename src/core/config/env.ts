import path from "node:path";
import { z } from "zod";

/**
 * Every environment variable Carebase reads, in one zod schema: its type, its default and
 * what a wrong value says. Code outside src/core/config never reads process.env; it asks
 * `env()` for the typed, validated values (docs/configuration.md lists them all).
 *
 * `env()` parses process.env once. In production that parse is kept for the life of the
 * process (server.ts reads it at start-up, so a wrong value stops the start with its
 * message). Elsewhere (development, tests) it is parsed again whenever one of the variables
 * has changed since, because tests set variables between cases (`vi.stubEnv`).
 */

export type EnvSource = Record<string, string | undefined>;

/** A variable holds a value Carebase cannot use; start-up stops with this message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The most reverse proxies TRUST_PROXY may declare; more is a typo, not a deployment. */
export const MAX_PROXY_HOPS = 10;
export const DOCUMENT_CONTENT_TYPES = ["application/pdf", "image/jpeg", "image/png"] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];
export const DEFAULT_RETENTION_DAYS = 30;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Whether the runtime knows an IANA time zone of this name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

type Ctx = z.core.$RefinementCtx;
const raw = () => z.string().optional();
const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === "";
const fail = (ctx: Ctx, message: string) => {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
};

/** An optional string: empty counts as unset. */
const text = () => raw().transform((v) => (blank(v) ? undefined : v.trim()));

/** A whole number in [min, max], or the default when unset. */
const whole = (name: string, fallback: number, min: number, max: number, what = "a whole number") =>
  raw().transform((v, ctx) => {
    if (blank(v)) return fallback;
    const n = Number(v.trim());
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) return fail(ctx, `${name} must be ${what} between ${min} and ${max} (got "${v.slice(0, 40)}").`);
    return n;
  });

/** A number of seconds in [0, max] (fractions allowed), or the default when unset. */
const seconds = (name: string, fallback: number, max: number) =>
  raw().transform((v, ctx) => {
    if (blank(v)) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > max) return fail(ctx, `${name} must be a number of seconds between 0 and ${max} (got "${v.slice(0, 40)}").`);
    return n;
  });

/** 1/0, true/false, on/off, yes/no; undefined when unset. */
const flag = (name: string) =>
  raw().transform((v, ctx) => {
    if (blank(v)) return undefined;
    const s = v.trim().toLowerCase();
    if (["1", "true", "on", "yes"].includes(s)) return true;
    if (["0", "false", "off", "no"].includes(s)) return false;
    return fail(ctx, `${name} must be 1 or 0 (got "${v.slice(0, 40)}").`);
  });

const schema = z.object({
  NODE_ENV: text(),
  /** Set by Next while `next build` runs: the database is never opened then. */
  NEXT_PHASE: text(),
  NEXT_DIST_DIR: text().transform((v) => v ?? ".next"),
  PORT: whole("PORT", 3000, 0, 65535, "an integer"),
  DATA_DIR: text().transform((v) => path.resolve(v ?? "./data")),
  DATABASE_URL: text(),
  MIGRATION_DATABASE_URL: text(),
  ALLOW_PRIVILEGED_DATABASE_LOGIN: flag("ALLOW_PRIVILEGED_DATABASE_LOGIN").transform((v) => v === true),
  DB_POOL_MAX: whole("DB_POOL_MAX", 10, 1, 1000),
  /** 0 sends BEGIN and the claims statement on their own again (comparison only; docs/pipelined-transactions.md). */
  DB_PIPELINING: flag("DB_PIPELINING").transform((v) => v !== false),
  /** 0 sends the statements marked PREPARED unnamed (a pooler that keeps no named statements; docs/prepared-statements.md). */
  DB_PREPARED: flag("DB_PREPARED").transform((v) => v !== false),
  /** Checked where it is used (length, presence with DATABASE_URL): a RootSecretError names the fix. */
  CAREBASE_SECRET: raw().transform((v) => (v ? v : undefined)),
  LOG_LEVEL: raw().transform((v, ctx) => {
    if (blank(v)) return undefined;
    const l = v.trim().toLowerCase();
    return (LOG_LEVELS as readonly string[]).includes(l) ? (l as (typeof LOG_LEVELS)[number]) : fail(ctx, `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${v.slice(0, 40)}").`);
  }),

  PUBLIC_URL: raw().transform((v, ctx) => {
    if (blank(v)) return undefined;
    const url = v.trim().replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]+/i.test(url) || !URL.canParse(url)) return fail(ctx, `PUBLIC_URL must be an http(s) address such as https://portal.clinic.example (got "${v.slice(0, 80)}").`);
    return url;
  }),
  CLINIC_NAME: text().transform((v) => v ?? "Carebase Clinic"),
  CLINIC_TIME_ZONE: raw().transform((v, ctx) => {
    if (blank(v)) return undefined;
    if (!isTimeZone(v.trim())) return fail(ctx, `CLINIC_TIME_ZONE must be an IANA time zone such as "America/New_York" (got "${v.trim().slice(0, 60)}").`);
    return v.trim();
  }),
  TRUST_PROXY: raw().transform((v, ctx) => {
    const s = (v ?? "").trim().toLowerCase();
    if (["", "0", "false", "off", "no"].includes(s)) return 0;
    if (/^[1-9][0-9]?$/.test(s) && Number(s) <= MAX_PROXY_HOPS) return Number(s);
    return fail(
      ctx,
      `TRUST_PROXY must be the number of reverse proxies in front of Carebase (1 to ${MAX_PROXY_HOPS}), or unset when there are none (got "${String(v).slice(0, 40)}").`,
    );
  }),
  COOKIE_SECURE: flag("COOKIE_SECURE"),
  API_ROUTER: raw().transform((v, ctx) => {
    if (blank(v)) return "light" as const;
    const s = v.trim().toLowerCase();
    return s === "next" ? ("next" as const) : s === "light" ? ("light" as const) : fail(ctx, `API_ROUTER must be "next" or unset (got "${v.slice(0, 40)}").`);
  }),
  METRICS_TOKEN: text(),

  ACCESS_TOKEN_TTL: seconds("ACCESS_TOKEN_TTL", 900, 86_400).transform((v) => (v > 0 ? Math.min(900, Math.floor(v)) : 900)),
  SESSION_MAX_SECONDS: whole("SESSION_MAX_SECONDS", 12 * 3600, 60, 365 * 86_400),
  STAFF_IDLE_MINUTES: whole("STAFF_IDLE_MINUTES", 15, 1, 24 * 60),
  REFRESH_REUSE_GRACE_SECONDS: seconds("REFRESH_REUSE_GRACE_SECONDS", 30, 86_400).transform((v) => Math.min(v, 120)),
  LOCK_AFTER_FAILURES: whole("LOCK_AFTER_FAILURES", 5, 1, 1000),
  LOCK_BASE_SECONDS: whole("LOCK_BASE_SECONDS", 30, 1, 3600),
  EMERGENCY_ACCESS_MINUTES: whole("EMERGENCY_ACCESS_MINUTES", 60, 1, 720, "a whole number of minutes"),

  STORAGE_DRIVER: raw().transform((v, ctx) => {
    const s = (v ?? "").trim().toLowerCase() || "local";
    return s === "local" || s === "s3" ? s : fail(ctx, `STORAGE_DRIVER must be "local" or "s3" (got "${v}").`);
  }),
  S3_ENDPOINT: text(),
  S3_BUCKET: text(),
  S3_REGION: text().transform((v) => v ?? "us-east-1"),
  S3_ACCESS_KEY_ID: text(),
  S3_SECRET_ACCESS_KEY: text(),
  /** On unless 0 (MinIO, s3rver and Ceph want path style; AWS S3 wants 0). */
  S3_FORCE_PATH_STYLE: flag("S3_FORCE_PATH_STYLE").transform((v) => v !== false),
  MAX_UPLOAD_BYTES: whole("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
  ALLOWED_DOCUMENT_TYPES: raw().transform((v, ctx) => {
    const list = (blank(v) ? DOCUMENT_CONTENT_TYPES.join(",") : v).split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
    for (const t of list) {
      if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(t)) return fail(ctx, `ALLOWED_DOCUMENT_TYPES may list only ${DOCUMENT_CONTENT_TYPES.join(", ")} (got "${t}").`);
    }
    return list as DocumentContentType[];
  }),
  SIGNED_URL_MAX_SECONDS: whole("SIGNED_URL_MAX_SECONDS", 24 * 3600, 1, Number.MAX_SAFE_INTEGER),
  DOCUMENT_RETENTION_DAYS: raw().transform((v, ctx) => {
    const s = (v ?? "").trim().toLowerCase();
    if (s === "") return DEFAULT_RETENTION_DAYS as number | null;
    if (s === "off") return null;
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) return fail(ctx, `DOCUMENT_RETENTION_DAYS must be a whole number of days or "off" (got "${v}").`);
    return Number(s);
  }),

  SMTP_URL: raw().transform((v, ctx) => {
    if (blank(v)) return undefined;
    if (!/^smtps?:\/\//.test(v.trim())) return fail(ctx, "SMTP_URL must start with smtp:// or smtps:// (for example smtp://user:password@mail.example.org:587).");
    return v.trim();
  }),
  MAIL_FROM: text(),
  SIGNING_P12_PATH: text().transform((v) => (v ? path.resolve(v) : undefined)),
  SIGNING_P12_PASSWORD: raw(),

  REALTIME_MAX_SOCKETS_PER_SESSION: whole("REALTIME_MAX_SOCKETS_PER_SESSION", 20, 1, 100_000),
  REALTIME_MAX_SOCKETS_PER_USER: whole("REALTIME_MAX_SOCKETS_PER_USER", 50, 1, 100_000),
  /** Telehealth ICE servers (docs/telehealth.md): comma-separated stun:/turn:/turns: URLs, and coturn's shared secret. */
  STUN_URLS: text(),
  TURN_URLS: text(),
  TURN_SECRET: text(),
  TURN_TTL_SECONDS: whole("TURN_TTL_SECONDS", 3600, 60, 86_400),
  SHUTDOWN_GRACE_SECONDS: seconds("SHUTDOWN_GRACE_SECONDS", 20, 3600),
  SHUTDOWN_DELAY_SECONDS: seconds("SHUTDOWN_DELAY_SECONDS", 0, 3600),
});

export type Env = z.output<typeof schema> & {
  /** RATE_LIMIT_<BUCKET>=max/seconds overrides, by lower-case bucket name (docs/auth.md). */
  rateLimits: Record<string, [number, number]>;
};

/** The variables the schema reads (docs/configuration.md lists each). */
export const ENV_VARIABLES = Object.keys(schema.shape);

function rateLimits(source: EnvSource): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [name, value] of Object.entries(source)) {
    if (!name.startsWith("RATE_LIMIT_") || blank(value)) continue;
    const m = /^(\d+)\/(\d+)$/.exec(value.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new ConfigError(`${name} must be max/seconds, e.g. 1000/60 (got "${value.slice(0, 40)}").`);
    out[name.slice("RATE_LIMIT_".length).toLowerCase()] = [Number(m[1]), Number(m[2])];
  }
  return out;
}

/** Parses a set of variables (process.env, or a test's own); throws a ConfigError naming every bad one. */
export function parseEnv(source: EnvSource): Env {
  const r = schema.safeParse(source);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => i.message).join(" "));
  return { ...r.data, rateLimits: rateLimits(source) };
}

interface Cached {
  env: Env;
  fingerprint: string;
}
const KEY = Symbol.for("carebase.env");
const g = globalThis as unknown as Record<symbol, Cached | undefined>;

function fingerprint(): string {
  let s = "";
  for (const k of ENV_VARIABLES) s += `${process.env[k] ?? "\u0001"}\u0000`;
  for (const k of Object.keys(process.env)) if (k.startsWith("RATE_LIMIT_")) s += `${k}=${process.env[k]}\u0000`;
  return s;
}

/** The validated configuration of this process (see the top of this file for when it is re-read). */
export function env(): Env {
  const cached = g[KEY];
  if (cached && cached.fingerprint === "") return cached.env;
  const now = fingerprint();
  if (cached && cached.fingerprint === now) return cached.env;
  const parsed = parseEnv(process.env);
  g[KEY] = { env: parsed, fingerprint: parsed.NODE_ENV === "production" ? "" : now };
  return parsed;
}

/** The configuration of `source` when given (tests), else this process's. */
export function envFrom(source?: EnvSource): Env {
  return source ? parseEnv(source) : env();
}

/** Forgets the parsed configuration: the next `env()` reads process.env again. */
export function resetConfigForTests(): void {
  g[KEY] = undefined;
}
