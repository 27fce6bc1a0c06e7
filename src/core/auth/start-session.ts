import type { RequestContext, Tx } from "../db/with-user";
import type { AppRole } from "../db/schema";
import type { Session } from "./session-types";
import { issueTokens, type TokenPair } from "./issue-tokens";
import { env } from "../config/env";

/** A session lasts at most 12 hours from sign-in, however often it is refreshed. */
export const sessionMaxSeconds = (): number => env().SESSION_MAX_SECONDS;

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
      expires_at: new Date(Date.now() + sessionMaxSeconds() * 1000),
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
