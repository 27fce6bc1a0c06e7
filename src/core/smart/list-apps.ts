import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import type { RegisteredApp } from "./register-app.types";

/** The app registry, newest first (admins; RLS gives others nothing). */
export async function listApps(session: Session, context: RequestContext = {}): Promise<RegisteredApp[]> {
  return withUser(session, async (tx) => {
    const { rows } = await sql<RegisteredApp>`
      select client_id, name, redirect_uris, confidential, scopes, disabled, created_at
        from app.smart_apps order by created_at desc, client_id limit 500`.execute(tx);
    return rows;
  }, context);
}
