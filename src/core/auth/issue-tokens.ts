import type { Tx } from "../db/with-user";
import type { Session } from "./session-types";
import { accessTokenTtlSeconds, newOpaqueToken, sha256Hex, signAccessToken } from "./tokens";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

/** A new access token and a new refresh token (stored hashed) for a live session. */
export async function issueTokens(tx: Tx, session: Session): Promise<TokenPair> {
  const refresh = newOpaqueToken();
  await tx.insertInto("auth.refresh_tokens").values({ session_id: session.sessionId, token_hash: sha256Hex(refresh) }).execute();
  const ttl = accessTokenTtlSeconds();
  return { access_token: await signAccessToken(session, ttl), refresh_token: refresh, token_type: "bearer", expires_in: ttl };
}
