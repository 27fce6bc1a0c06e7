import { sql } from "kysely";
import { forgetSession } from "../auth/session-cache";
import { sha256Hex } from "../auth/tokens";
import { asService, type Tx } from "../db/with-user";
import { forgetAppTokens } from "./app-token-cache";

/**
 * Ends app connections on the service path, in one transaction: every stored code and token
 * of their grants deleted, their app sessions revoked (withUser refuses them from the next
 * statement on, whatever a cache holds), the connection rows removed.
 */
export async function revokeConnections(tx: Tx, where: { grantId?: string; clientId?: string; userId?: string }, reason: string): Promise<number> {
  if (!where.grantId && !where.clientId && !where.userId) throw new Error("revokeConnections needs a grant, an app or a user.");
  const { rows } = await sql<{ grant_id: string; session_id: string }>`
    delete from app.smart_grants
     where (${where.grantId ?? null}::text is null or grant_id = ${where.grantId ?? null})
       and (${where.clientId ?? null}::text is null or client_id = ${where.clientId ?? null})
       and (${where.userId ?? null}::uuid is null or user_id = ${where.userId ?? null}::uuid)
    returning grant_id, session_id::text as session_id`.execute(tx);
  const grants = [...new Set([...rows.map((r) => r.grant_id), ...(where.grantId ? [where.grantId] : [])])];
  if (grants.length) {
    await sql`delete from app.oauth_payloads
               where grant_id = any(${grants}::text[]) or (model = 'Grant' and id_hash = any(${grants.map(sha256Hex)}::text[]))`.execute(tx);
  }
  const sessions = rows.map((r) => r.session_id);
  if (sessions.length) {
    await sql`update auth.sessions set revoked_at = now(), revoke_reason = ${reason}
               where id = any(${sessions}::uuid[]) and revoked_at is null`.execute(tx);
  }
  for (const s of sessions) forgetSession(s);
  forgetAppTokens();
  return rows.length;
}

/** One grant's connection (revocation endpoint, a replayed code or refresh token). */
export async function revokeGrantConnection(grantId: string, reason: string): Promise<void> {
  await asService(reason, (tx) => revokeConnections(tx, { grantId }, "app grant revoked"));
}
