import { sql } from "kysely";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { staffIdleMinutes } from "./staff-idle";
import { UnauthorizedError } from "../errors";
import { log } from "../log";
import type { AppRole } from "../db/schema";
import type { Session } from "./session-types";
import { auditAccountEvent, auditAccountEventTx } from "./audit-events";
import { accessTokenTtlSeconds, newOpaqueToken, sha256Hex, signAccessToken, verifyAccessToken } from "./tokens";

/** A session lasts at most 12 hours from sign-in, however often it is refreshed. */
export const SESSION_MAX_SECONDS = Number(process.env.SESSION_MAX_SECONDS ?? 12 * 3600);

export { staffIdleMinutes };

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

/** Starts a session for a user who has just proved who they are. */
export async function startSession(
  tx: Tx,
  user: { id: string; role: AppRole },
  aal: "aal1" | "aal2",
  context: RequestContext,
  opts: { mfaPending?: boolean } = {},
): Promise<{ session: Session; tokens: TokenPair }> {
  const row = await tx
    .insertInto("auth.sessions")
    .values({
      user_id: user.id,
      aal,
      expires_at: new Date(Date.now() + SESSION_MAX_SECONDS * 1000),
      ip: context.ip ?? null,
      user_agent: context.userAgent?.slice(0, 512) ?? null,
      mfa_pending: opts.mfaPending ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const session: Session = { userId: user.id, role: user.role, sessionId: row.id, aal };
  if (opts.mfaPending) session.mfaPending = true;
  return { session, tokens: await issueTokens(tx, session) };
}

async function issueTokens(tx: Tx, session: Session): Promise<TokenPair> {
  const refresh = newOpaqueToken();
  await tx.insertInto("auth.refresh_tokens").values({ session_id: session.sessionId, token_hash: sha256Hex(refresh) }).execute();
  const ttl = accessTokenTtlSeconds();
  return { access_token: await signAccessToken(session, ttl), refresh_token: refresh, token_type: "bearer", expires_in: ttl };
}

/**
 * How long a browser may present a refresh cookie again after it was spent
 * (REFRESH_REUSE_GRACE_SECONDS, default 30, at most 120; 0 turns it off). Two page requests
 * that race with the same expired access cookie both refresh; without this, the second
 * one's "reuse" revoked the session and signed the user out.
 */
/** Pairs a session may be issued within one grace window (the rotation plus a few racing requests). */
const GRACE_MAX_PAIRS = 5;

export function refreshReuseGraceSeconds(): number {
  const v = Number(process.env.REFRESH_REUSE_GRACE_SECONDS ?? 30);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 120) : 30;
}

/**
 * Spends a refresh token for a new pair. A spent token presented again means it was
 * stolen (or replayed): the whole session is revoked — unless `reuseGraceSeconds` is given
 * (the browser's cookie refresh) and the token was spent less than that long ago, which is
 * two requests of one browser racing: the late one gets a pair of its own, and the session
 * lives on. Both pairs then work; a presentation after the grace period still revokes.
 */
export async function refreshSession(
  refreshToken: string,
  context: RequestContext,
  opts: { reuseGraceSeconds?: number } = {},
): Promise<{ session: Session; tokens: TokenPair }> {
  const grace = Math.max(0, opts.reuseGraceSeconds ?? 0);
  const outcome = await asService("refresh token rotation", async (tx) => {
    const found = await tx
      .selectFrom("auth.refresh_tokens as r")
      .innerJoin("auth.sessions as s", "s.id", "r.session_id")
      .innerJoin("auth.users as u", "u.id", "s.user_id")
      .select(["r.id", "r.spent_at", "s.id as session_id", "s.revoked_at", "s.expires_at", "s.aal", "s.mfa_pending", "u.id as user_id", "u.role", "u.is_active"])
      .select(sql<boolean>`s.last_seen_at < now() - make_interval(mins => ${staffIdleMinutes()})`.as("idle"))
      .select(sql<boolean>`coalesce(r.spent_at > now() - make_interval(secs => ${grace}), false)`.as("spent_within_grace"))
      .select(
        sql<number>`(select count(*)::int from auth.refresh_tokens n where n.session_id = s.id and n.created_at > now() - make_interval(secs => ${grace}))`.as("recent_pairs"),
      )
      .where("r.token_hash", "=", sha256Hex(refreshToken))
      .forUpdate("r")
      .executeTakeFirst();
    if (!found) return { kind: "unknown" as const };
    const live = !found.revoked_at && new Date(found.expires_at) > new Date() && found.is_active;
    // a handful of parallel requests, not a replay loop: past GRACE_MAX_PAIRS pairs issued
    // within the window, a spent token is reuse again
    const racing = found.spent_at !== null && grace > 0 && found.spent_within_grace && live && found.recent_pairs < GRACE_MAX_PAIRS;
    if (found.spent_at && !racing) {
      await revokeSessionTx(tx, found.session_id, "refresh_token_reuse");
      return { kind: "reused" as const, sessionId: found.session_id, userId: found.user_id };
    }
    if (!live) return { kind: "dead" as const };
    if (found.role !== "patient" && found.idle) {
      await revokeSessionTx(tx, found.session_id, "idle_timeout");
      return { kind: "idle" as const, sessionId: found.session_id };
    }
    if (racing) log.info({ sessionId: found.session_id, requestId: context.requestId }, "refresh cookie presented again within the grace period: a second pair issued");
    else await tx.updateTable("auth.refresh_tokens").set({ spent_at: new Date() }).where("id", "=", found.id).execute();
    await tx.updateTable("auth.sessions").set({ last_seen_at: new Date() }).where("id", "=", found.session_id).execute();
    const session: Session = { userId: found.user_id, role: found.role, sessionId: found.session_id, aal: found.aal };
    if (found.mfa_pending) session.mfaPending = true;
    return { kind: "ok" as const, session, tokens: await issueTokens(tx, session) };
  }, context);
  if (outcome.kind === "ok") return { session: outcome.session, tokens: outcome.tokens };
  if (outcome.kind === "reused") {
    forgetSession(outcome.sessionId);
    await auditAccountEvent({ action: "auth.refresh_token_reused", actorId: outcome.userId, details: { session_id: outcome.sessionId } }, context);
  }
  if (outcome.kind === "idle") {
    forgetSession(outcome.sessionId);
    throw new UnauthorizedError("You were signed out after a period of inactivity. Sign in again.", "session_idle");
  }
  throw new UnauthorizedError("The refresh token is invalid or has been used.", "invalid_refresh_token");
}

async function revokeSessionTx(tx: Tx, sessionId: string, reason: string): Promise<void> {
  await tx
    .updateTable("auth.sessions")
    .set({ revoked_at: new Date(), revoke_reason: reason })
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .execute();
}

export async function revokeSession(sessionId: string, reason: string, context: RequestContext = {}): Promise<void> {
  await asService("session revocation", (tx) => revokeSessionTx(tx, sessionId, reason), context);
  forgetSession(sessionId);
}

/** Revokes every live session of a user (password change, deactivation, "sign out everywhere"), optionally sparing one. */
export async function revokeAllSessions(tx: Tx, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
  let q = tx
    .updateTable("auth.sessions")
    .set({ revoked_at: new Date(), revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null);
  if (exceptSessionId) q = q.where("id", "!=", exceptSessionId);
  const rows = await q.returning("id").execute();
  for (const r of rows) forgetSession(r.id);
  return rows.length;
}

export interface ActiveSession {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  aal: "aal1" | "aal2";
  current: boolean;
}

/** The caller's live sessions (auth.sessions is service-only; the filter is the caller's own id). */
export async function listActiveSessions(session: Session, context: RequestContext = {}): Promise<ActiveSession[]> {
  const rows = await asService("list the caller's own sessions", (tx) =>
    tx
      .selectFrom("auth.sessions")
      .select(["id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "aal"])
      .where("user_id", "=", session.userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", sql<Date>`now()`)
      .orderBy("created_at", "desc")
      .limit(100)
      .execute(),
  context);
  const iso = (d: Date | string) => new Date(d).toISOString();
  return rows.map((r) => ({
    id: r.id,
    created_at: iso(r.created_at),
    last_seen_at: iso(r.last_seen_at),
    expires_at: iso(r.expires_at),
    ip: r.ip,
    user_agent: r.user_agent,
    aal: r.aal,
    current: r.id === session.sessionId,
  }));
}

/** Revokes one of the caller's own sessions; false when there is no such live session. */
export async function revokeOwnSession(session: Session, sessionId: string, context: RequestContext = {}): Promise<boolean> {
  const n = await asService("revoke one of the caller's own sessions", async (tx) => {
    const r = await tx
      .updateTable("auth.sessions")
      .set({ revoked_at: new Date(), revoke_reason: "signed_out" })
      .where("id", "=", sessionId)
      .where("user_id", "=", session.userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (r.numUpdatedRows > 0n) {
      await auditAccountEventTx(tx, { action: "auth.session_revoked", actorId: session.userId, actorRole: session.role, details: { session_id: sessionId } }, context);
    }
    return Number(r.numUpdatedRows);
  }, context);
  forgetSession(sessionId);
  return n > 0;
}

// A short in-process cache of live sessions: revocation on this instance clears it at
// once; on other instances it takes effect within CACHE_MS. It holds what the session ROW
// says (role, aal, MFA pending), never what a token claims. PHI never depends on it:
// withUser checks the row again in the database (auth.enter_session) on every transaction.
const CACHE_MS = 1000;
const CACHE_KEY = Symbol.for("carebase.session-cache");
interface Cached {
  at: number;
  session: Session;
}
const cache = (): Map<string, Cached> => {
  const g = globalThis as unknown as Record<symbol, Map<string, Cached> | undefined>;
  return (g[CACHE_KEY] ??= new Map());
};
function forgetSession(sessionId: string): void {
  cache().delete(sessionId);
}

const SESSION_ENDED = () => new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");

/**
 * The session behind an access token, if it is still live (signature, expiry, revocation,
 * account, staff idleness). Role, aal and MFA-pending come from the session row: a token
 * whose role disagrees with its account is refused, and an aal it claims is ignored.
 */
export async function authenticateAccessToken(token: string): Promise<Session> {
  const claimed = await verifyAccessToken(token);
  const hit = cache().get(claimed.sessionId);
  let session: Session;
  if (hit !== undefined && Date.now() - hit.at < CACHE_MS && hit.session.userId === claimed.userId) {
    session = hit.session;
  } else {
    const row = await asService("authenticate an access token against its session row", async (tx) => {
      const { rows } = await sql<{ out_role: AppRole; out_aal: "aal1" | "aal2"; out_mfa_pending: boolean }>`
        select out_role, out_aal, out_mfa_pending
          from auth.resolve_session(${claimed.sessionId}::uuid, ${claimed.userId}::uuid, ${staffIdleMinutes()})`.execute(tx);
      return rows[0];
    });
    if (!row) {
      forgetSession(claimed.sessionId);
      throw SESSION_ENDED();
    }
    session = { userId: claimed.userId, role: row.out_role, sessionId: claimed.sessionId, aal: row.out_aal };
    if (row.out_mfa_pending) session.mfaPending = true;
    const c = cache();
    if (c.size > 10_000) c.clear();
    c.set(claimed.sessionId, { at: Date.now(), session });
  }
  if (session.role !== claimed.role) throw new UnauthorizedError("The access token is invalid.", "invalid_token");
  return session;
}

/** Revokes the session a refresh token belongs to (browser sign-out without a live access cookie). */
export async function revokeSessionByRefreshToken(refreshToken: string, reason: string, context: RequestContext = {}): Promise<void> {
  const id = await asService("session revocation by refresh token", async (tx) => {
    const row = await tx.selectFrom("auth.refresh_tokens").select("session_id").where("token_hash", "=", sha256Hex(refreshToken)).executeTakeFirst();
    if (row) await revokeSessionTx(tx, row.session_id, reason);
    return row?.session_id;
  }, context);
  if (id) forgetSession(id);
}
