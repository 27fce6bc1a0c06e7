import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { newClientSecret, sealClientSecret } from "./client-secret";
import { forgetAppOrigins } from "./cors";
import type { RegisteredApp, TRegisterAppRequest } from "./register-app.types";

/**
 * An admin registers an outside app (app_admin policies decide; requireAdmin is the API's
 * gate in front). A confidential app's secret is shown once, in this answer, and kept sealed.
 */
export async function registerApp(
  session: Session,
  input: TRegisterAppRequest,
  context: RequestContext = {},
): Promise<{ app: RegisteredApp; client_secret?: string }> {
  const clientId = randomBytes(18).toString("base64url");
  const secret = input.confidential ? newClientSecret() : undefined;
  const scopes = [...new Set(input.scopes)];
  const app = await withUser(session, async (tx) => {
    const { rows } = await sql<RegisteredApp>`
      insert into app.smart_apps (client_id, name, redirect_uris, confidential, secret_sealed, scopes, created_by)
      values (${clientId}, ${input.name}, ${input.redirect_uris}::text[], ${input.confidential}, ${secret ? sealClientSecret(secret) : null},
              ${scopes}::text[], ${session.userId}::uuid)
      returning client_id, name, redirect_uris, confidential, scopes, disabled, created_at`.execute(tx);
    return rows[0];
  }, context);
  forgetAppOrigins();
  return secret ? { app, client_secret: secret } : { app };
}
