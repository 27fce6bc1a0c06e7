import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import { UnauthorizedError } from "../errors";
import { log } from "../log";
import type { Session } from "./session-types";
import { auditAccountEvent } from "./audit-events";
import { issueTokens, type TokenPair } from "./issue-tokens";
import { revokeSessionTx } from "./revoke-session";
import { forgetSession } from "./session-cache";
import { staffIdleMinutes } from "./staff-idle";
import { sha256Hex } from "./tokens";
import { env } from "../config/env";

/** Pairs a session may be issued within one grace window (the rotation plus a few racing requests). */
const GRACE_MAX_PAIRS = 5;

/**
 * How long a browser may present a refresh cookie again after it was spent
 * (REFRESH_REUSE_GRACE_SECONDS, default 30, at most 120; 0 turns it off). Two page requests
 * that race with the same expired access cookie both refresh; without this, the second
 * one's "reuse" revoked the session and signed the user out.
 */
export function refreshReuseGraceSeconds(): number {
  return env().REFRESH_REUSE_GRACE_SECONDS;
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
