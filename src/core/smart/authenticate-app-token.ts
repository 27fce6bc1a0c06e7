import { sql } from "kysely";
import type { AppRole } from "../db/schema";
import { sha256Hex } from "../auth/tokens";
import type { Session } from "../auth/session-types";
import { staffIdleMinutes } from "../auth/staff-idle";
import { asService } from "../db/with-user";
import { UnauthorizedError } from "../errors";
import { APP_TOKEN_CACHE_MS, appTokenCache } from "./app-token-cache";

/** What an app's access token lets it do: act as its user (the app's own session), narrowed by scopes. */
export interface AppAccess {
  session: Session;
  clientId: string;
  appName: string;
  /** The token's scopes (never wider than the grant). */
  scopes: string[];
  /** The launch context: set when the token's clinical scopes are patient/…; it reaches that patient only. */
  patientId: string | null;
}

/** App tokens are oidc-provider's opaque tokens: no dots, unlike the portal's own JWTs. */
export function looksLikeAppToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{32,128}$/.test(token);
}

const INVALID = () => new UnauthorizedError("The access token is invalid or has expired.", "invalid_token");

/**
 * The connection behind an app's access token, if the token is live (stored, unexpired),
 * the app enabled, the connection not revoked and its session live (the same session rules
 * as the portal's: account active, staff idleness).
 */
export async function authenticateAppToken(token: string): Promise<AppAccess> {
  if (!looksLikeAppToken(token)) throw INVALID();
  const hash = sha256Hex(token);
  const hit = appTokenCache().get(hash);
  if (hit && Date.now() - hit.at < APP_TOKEN_CACHE_MS) return hit.access;
  const row = await asService("authenticate an app's access token against its grant and session", async (tx) => {
    const { rows } = await sql<{
      scope: string; user_id: string; session_id: string; patient_id: string | null; client_id: string; name: string;
      out_role: AppRole; out_aal: "aal1" | "aal2"; out_mfa_pending: boolean;
    }>`
      select p.payload ->> 'scope' as scope, g.user_id::text as user_id, g.session_id::text as session_id, g.patient_id::text as patient_id,
             a.client_id, a.name, r.out_role, r.out_aal, r.out_mfa_pending
        from app.oauth_payloads p
        join app.smart_grants g on g.grant_id = p.grant_id
        join app.smart_apps a on a.client_id = g.client_id and not a.disabled
        cross join lateral auth.resolve_session(g.session_id, g.user_id, ${staffIdleMinutes()}) r
       where p.model = 'AccessToken' and p.id_hash = ${hash} and p.expires_at > now()
         and p.payload ->> 'accountId' = g.user_id::text and p.payload ->> 'clientId' = g.client_id`.execute(tx);
    const found = rows[0];
    if (found) {
      await sql`update app.smart_grants set last_used_at = now()
                 where session_id = ${found.session_id}::uuid and (last_used_at is null or last_used_at < now() - interval '60 seconds')`.execute(tx);
    }
    return found;
  });
  if (!row || row.out_mfa_pending) throw INVALID();
  const scopes = (row.scope ?? "").split(" ").filter(Boolean);
  const access: AppAccess = {
    session: { userId: row.user_id, role: row.out_role, sessionId: row.session_id, aal: row.out_aal, smartApp: { clientId: row.client_id, name: row.name } },
    clientId: row.client_id,
    appName: row.name,
    scopes,
    patientId: scopes.some((s) => s.startsWith("patient/")) ? row.patient_id : null,
  };
  const c = appTokenCache();
  if (c.size > 10_000) c.clear();
  c.set(hash, { at: Date.now(), access });
  return access;
}
