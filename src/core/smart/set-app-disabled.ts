import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { asService, withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { forgetAppOrigins } from "./cors";
import type { RegisteredApp } from "./register-app.types";
import { revokeConnections } from "./revoke-grant-connection";

/**
 * An admin disables (or enables again) an app. Disabling ends every connection to it at
 * once: its codes and tokens are deleted and its sessions revoked; users must approve it
 * again once it is enabled.
 */
export async function setAppDisabled(session: Session, clientId: string, disabled: boolean, context: RequestContext = {}): Promise<RegisteredApp> {
  const app = await withUser(session, async (tx) => {
    const { rows } = await sql<RegisteredApp>`
      update app.smart_apps set disabled = ${disabled} where client_id = ${clientId}
      returning client_id, name, redirect_uris, confidential, scopes, disabled, created_at`.execute(tx);
    return rows[0];
  }, context);
  if (!app) throw new NotFoundError("app");
  if (disabled) await asService("end every connection of an app an admin disabled", (tx) => revokeConnections(tx, { clientId }, "app disabled"), context);
  forgetAppOrigins();
  return app;
}
