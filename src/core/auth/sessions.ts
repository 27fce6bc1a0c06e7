import { sql } from "kysely";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { database } from "../db";
import { UnauthorizedError } from "../errors";
import type { AppRole } from "../db/schema";
import type { Session } from "./session-types";
import { accessTokenTtlSeconds, newOpaqueToken, sha256Hex, signAccessToken, verifyAccessToken } from "./tokens";

/** A session lasts at most 12 hours from sign-in, however often it is refreshed. */
const SESSION_MAX_SECONDS = Number(process.env.SESSION_MAX_SECONDS ?? 12 * 3600);

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
): Promise<{ session: Session; tokens: TokenPair }> {
  const row = await tx
    .insertInto("auth.sessions")
    .values({
      user_id: user.id,
      aal,
      expires_at: new Date(Date.now() + SESSION_MAX_SECONDS * 1000),
      ip: context.ip ?? null,
      user_agent: context.userAgent?.slice(0, 512) ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const session: Session = { userId: user.id, role: user.role, sessionId: row.id, aal };
  return { session, tokens: await issueTokens(tx, session) };
}

async function issueTokens(tx: Tx, session: Session): Promise<TokenPair> {
  const refresh = newOpaqueToken();
  await tx.insertInto("auth.refresh_tokens").values({ session_id: session.sessionId, token_hash: sha256Hex(refresh) }).execute();
  const ttl = accessTokenTtlSeconds();
  return { access_token: await signAccessToken(session, ttl), refresh_token: refresh, token_type: "bearer", expires_in: ttl };
}

/**
 * Spends a refresh token for a new pair. A spent token presented again means it was
 * stolen (or replayed): the whole session is revoked.
 */
export async function refreshSession(refreshToken: string, context: RequestContext): Promise<{ session: Session; tokens: TokenPair }> {
  const outcome = await asService("refresh token rotation", async (tx) => {
    const found = await tx
      .selectFrom("auth.refresh_tokens as r")
      .innerJoin("auth.sessions as s", "s.id", "r.session_id")
      .innerJoin("auth.users as u", "u.id", "s.user_id")
      .select(["r.id", "r.spent_at", "s.id as session_id", "s.revoked_at", "s.expires_at", "s.aal", "u.id as user_id", "u.role", "u.is_active"])
      .where("r.token_hash", "=", sha256Hex(refreshToken))
      .forUpdate("r")
      .executeTakeFirst();
    if (!found) return { kind: "unknown" as const };
    if (found.spent_at) {
      await revokeSessionTx(tx, found.session_id, "refresh_token_reuse");
      return { kind: "reused" as const, sessionId: found.session_id, userId: found.user_id };
    }
    if (found.revoked_at || new Date(found.expires_at) <= new Date() || !found.is_active) return { kind: "dead" as const };
    await tx.updateTable("auth.refresh_tokens").set({ spent_at: new Date() }).where("id", "=", found.id).execute();
    await tx.updateTable("auth.sessions").set({ last_seen_at: new Date() }).where("id", "=", found.session_id).execute();
    const session: Session = { userId: found.user_id, role: found.role, sessionId: found.session_id, aal: found.aal };
    return { kind: "ok" as const, session, tokens: await issueTokens(tx, session) };
  }, context);
  if (outcome.kind === "ok") return { session: outcome.session, tokens: outcome.tokens };
  if (outcome.kind === "reused") forgetSession(outcome.sessionId);
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

/** Revokes every live session of a user (password change, deactivation, "sign out everywhere"). */
export async function revokeAllSessions(tx: Tx, userId: string, reason: string): Promise<void> {
  const rows = await tx
    .updateTable("auth.sessions")
    .set({ revoked_at: new Date(), revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .returning("id")
    .execute();
  for (const r of rows) forgetSession(r.id);
}

// A short in-process cache of live sessions: revocation on this instance clears it at
// once; on other instances it takes effect within CACHE_MS.
const CACHE_MS = 1000;
const CACHE_KEY = Symbol.for("carebase.session-cache");
const cache = (): Map<string, number> => {
  const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
  return (g[CACHE_KEY] ??= new Map());
};
function forgetSession(sessionId: string): void {
  cache().delete(sessionId);
}

/** The session behind an access token, if it is still live (signature, expiry, revocation, account). */
export async function authenticateAccessToken(token: string): Promise<Session> {
  const session = await verifyAccessToken(token);
  const seen = cache().get(session.sessionId);
  if (seen !== undefined && Date.now() - seen < CACHE_MS) return session;
  const db = await database();
  const { rows } = await sql<{ ok: boolean }>`
    select true as ok
      from auth.sessions s join auth.users u on u.id = s.user_id
     where s.id = ${session.sessionId} and s.user_id = ${session.userId}
       and s.revoked_at is null and s.expires_at > now() and u.is_active and u.role = ${session.role}`.execute(db.kysely);
  if (rows.length === 0) {
    forgetSession(session.sessionId);
    throw new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");
  }
  const c = cache();
  if (c.size > 10_000) c.clear();
  c.set(session.sessionId, Date.now());
  return session;
}
