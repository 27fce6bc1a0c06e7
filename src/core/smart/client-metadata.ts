import { sql } from "kysely";
import type { AdapterPayload } from "oidc-provider";
import { asService } from "../db/with-user";
import { openClientSecret } from "./client-secret";

/**
 * A registered app as the OAuth server sees it (a client's metadata), from app.smart_apps.
 * A disabled app is unknown to it: no authorization, no token, no refresh.
 */
export async function clientMetadata(clientId: string): Promise<AdapterPayload | undefined> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(clientId)) return undefined;
  const app = await asService("OAuth server: look up a registered app", async (tx) => {
    const { rows } = await sql<{ client_id: string; name: string; redirect_uris: string[]; confidential: boolean; secret_sealed: string | null; scopes: string[] }>`
      select client_id, name, redirect_uris, confidential, secret_sealed, scopes from app.smart_apps
       where client_id = ${clientId} and not disabled`.execute(tx);
    return rows[0];
  });
  if (!app) return undefined;
  return {
    client_id: app.client_id,
    client_name: app.name,
    redirect_uris: app.redirect_uris,
    response_types: ["code"],
    grant_types: ["authorization_code", "refresh_token"],
    scope: app.scopes.join(" "),
    token_endpoint_auth_method: app.confidential ? "client_secret_basic" : "none",
    ...(app.confidential && app.secret_sealed ? { client_secret: openClientSecret(app.secret_sealed) } : {}),
    id_token_signed_response_alg: "EdDSA",
  };
}
