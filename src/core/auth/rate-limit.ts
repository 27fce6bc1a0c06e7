import { createHmac } from "node:crypto";
import { sql } from "kysely";
import { deriveKey } from "../config";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { RateLimitedError } from "../errors";
import { auditAccountEventTx } from "./audit-events";
import { env } from "../config/env";

/**
 * Rate limits and lockout, stored in the database so they hold across instances.
 * Keys are HMACs (never raw emails): the tables reveal nothing if read.
 */
export type Bucket =
  | "sign_in_ip" | "sign_in_account" | "sign_up_ip" | "refresh_ip" | "invite_ip" | "invite_code" | "secret_account"
  | "password_forgot_ip" | "password_forgot_account" | "password_reset_ip" | "password_reset_token"
  | "emergency_account" | "emergency_ip" | "share_code_ip"
  | "email_link_ip" | "email_link_token"
  | "prescription_verify_ip";

/** [max hits, window seconds]; RATE_LIMIT_<BUCKET>=max/seconds overrides (e.g. for load tests). */
const DEFAULTS: Record<Bucket, [number, number]> = {
  // Break-the-glass (issue #18): every attempt, right or wrong, per provider and per IP.
  emergency_account: [10, 900],
  emergency_ip: [30, 900],
  // Wrong answers only: a wrong code for a sharing link, per IP (the share itself locks after 5).
  share_code_ip: [10, 900],
  sign_in_ip: [60, 300],
  sign_in_account: [20, 300],
  sign_up_ip: [10, 3600],
  refresh_ip: [600, 60],
  // Wrong answers only (see guessAttempt): a wrong invite code or date of birth, per IP and per code.
  invite_ip: [10, 900],
  invite_code: [10, 900],
  // Wrong answers only: a wrong current password or MFA code from a signed-in account.
  secret_account: [10, 900],
  // Password recovery: every request for a reset mail, per IP and per email (known or not, alike).
  password_forgot_ip: [10, 900],
  password_forgot_account: [5, 3600],
  // Wrong answers only: a reset token that is unknown, used or expired, per IP and per token hash.
  password_reset_ip: [10, 900],
  password_reset_token: [10, 900],
  // Wrong answers only: an email-verification or staff-invitation link that is unknown, used or expired.
  email_link_ip: [10, 900],
  email_link_token: [10, 900],
  // Public prescription verification (/verify/<code>): every lookup, found or not, per IP.
  prescription_verify_ip: [30, 300],
};

export function limitFor(bucket: Bucket): [number, number] {
  return env().rateLimits[bucket] ?? DEFAULTS[bucket];
}

let hmacKey: Buffer | undefined;
export function throttleKey(value: string): string {
  return createHmac("sha256", (hmacKey ??= deriveKey("rate-limit"))).update(value.trim().toLowerCase()).digest("hex");
}

/** The client IP, or one shared key when the server did not stamp it (server.ts always does). */
export function ipKey(context: RequestContext): string {
  return throttleKey(`ip:${context.ip ?? "unknown"}`);
}

/** Counts one hit; throws 429 (with Retry-After) once the window is full. Commits on its own. */
export async function hit(bucket: Bucket, key: string, context: RequestContext = {}): Promise<void> {
  const [max, windowSeconds] = limitFor(bucket);
  const row = await asService("rate limiting", async (tx) => {
    if (Math.random() < 0.002) await sweep(tx);
    const r = await hitTx(tx, bucket, key, windowSeconds);
    if (r.hits === max + 1) {
      await auditAccountEventTx(tx, { action: "auth.rate_limited", details: { bucket } }, context);
    }
    return r;
  }, context);
  if (row.hits > max) throw new RateLimitedError(row.retryAfter);
}

/**
 * Guessing a secret (a current password, an MFA code, an invite code and date of birth):
 * the attempt is counted before the secret is checked, so a guesser already over the limit
 * gets 429 without costing an argon2 hash, and parallel guesses are all counted. A right
 * answer gives its attempt back (`forgive`), so only wrong answers fill the window.
 */
export async function guessAttempt(bucket: Bucket, key: string, context: RequestContext = {}): Promise<{ forgive(): Promise<void> }> {
  await hit(bucket, key, context);
  return {
    forgive: () =>
      asService("rate limiting: a right answer is not counted", async (tx) => {
        await sql`update auth.rate_limits set hits = greatest(hits - 1, 0) where bucket = ${bucket} and key = ${key}`.execute(tx);
      }, context),
  };
}

/** The throttling key of one account's secret checks. */
export function accountKey(userId: string): string {
  return throttleKey(`user:${userId}`);
}

/** Forgets counters and failures nobody needs any more (run now and then by hit()). */
export async function sweep(tx: Tx): Promise<void> {
  await sql`delete from auth.rate_limits where window_start < now() - interval '1 day'`.execute(tx);
  await sql`delete from auth.sign_in_failures
             where last_failure_at < now() - interval '1 day' and (locked_until is null or locked_until < now())`.execute(tx);
}

async function hitTx(tx: Tx, bucket: string, key: string, windowSeconds: number): Promise<{ hits: number; retryAfter: number }> {
  const { rows } = await sql<{ hits: number; retry_after: number }>`
    insert into auth.rate_limits as r (bucket, key, window_start, hits)
    values (${bucket}, ${key}, now(), 1)
    on conflict (bucket, key) do update
      set hits = case when r.window_start <= now() - make_interval(secs => ${windowSeconds}) then 1 else r.hits + 1 end,
          window_start = case when r.window_start <= now() - make_interval(secs => ${windowSeconds}) then now() else r.window_start end
    returning hits, extract(epoch from (window_start + make_interval(secs => ${windowSeconds}) - now()))::float8 as retry_after`.execute(tx);
  return { hits: Number(rows[0].hits), retryAfter: Math.max(1, Number(rows[0].retry_after)) };
}

// ---------------------------------------------------------------- lockout with back-off

/** Failures in a row before the account key is locked (LOCK_AFTER_FAILURES). */
const lockAfterFailures = () => env().LOCK_AFTER_FAILURES;
/** First lock lasts this long (LOCK_BASE_SECONDS); each further lock doubles it, up to an hour. */
const baseLockSeconds = () => env().LOCK_BASE_SECONDS;
const MAX_LOCK_SECONDS = 3600;
/** Failures older than this are forgotten. */
const FAILURE_MEMORY_SECONDS = 900;

export function lockSeconds(level: number): number {
  return Math.min(MAX_LOCK_SECONDS, baseLockSeconds() * 2 ** level);
}

/** Throws 429 while the key is locked (whatever the password). */
export async function assertNotLocked(emailKey: string, context: RequestContext): Promise<void> {
  const row = await asService("lockout check", (tx) =>
    tx
      .selectFrom("auth.sign_in_failures")
      .select(sql<number>`extract(epoch from (locked_until - now()))::float8`.as("remaining"))
      .where("email_key", "=", emailKey)
      .where("locked_until", ">", sql<Date>`now()`)
      .executeTakeFirst(),
  context);
  if (row) throw lockedError(Number(row.remaining));
}

/** "30 seconds", "2 minutes", "1 hour": how long a lock still lasts, rounded up. */
export function describeLockDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? "" : "s"}`;
  const h = Math.ceil(m / 60);
  return `${h} hour${h === 1 ? "" : "s"}`;
}

/** 429 naming how long the lock lasts (LOCK_AFTER_FAILURES failures in a row lock for LOCK_BASE_SECONDS, doubling each time up to an hour). */
export function lockedError(seconds: number): RateLimitedError {
  return new RateLimitedError(
    seconds,
    `Too many failed sign-ins: this account is locked for ${describeLockDuration(seconds)}. Try again then, reset your password, or ask an administrator to unlock it.`,
  );
}

/** Records a failed sign-in; returns the lock's length in seconds when this failure locks the key. */
export async function recordFailure(tx: Tx, emailKey: string): Promise<number | null> {
  const { rows } = await sql<{ failures: number; lock_level: number }>`
    insert into auth.sign_in_failures as f (email_key, failures, last_failure_at)
    values (${emailKey}, 1, now())
    on conflict (email_key) do update
      set failures = case when f.last_failure_at < now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS}) then 1 else f.failures + 1 end,
          last_failure_at = now()
    returning failures, lock_level`.execute(tx);
  const { failures, lock_level } = rows[0];
  if (Number(failures) < lockAfterFailures()) return null;
  const seconds = lockSeconds(Number(lock_level));
  await sql`update auth.sign_in_failures
               set failures = 0, lock_level = lock_level + 1, locked_until = now() + make_interval(secs => ${seconds})
             where email_key = ${emailKey}`.execute(tx);
  return seconds;
}

export async function clearFailures(tx: Tx, emailKey: string): Promise<void> {
  await tx.deleteFrom("auth.sign_in_failures").where("email_key", "=", emailKey).execute();
}
