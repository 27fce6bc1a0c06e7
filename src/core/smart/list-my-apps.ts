import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { describeScope } from "./scopes";

export interface ConnectedApp {
  client_id: string;
  name: string;
  scopes: { scope: string; description: string }[];
  connected_at: string;
  last_used_at: string | null;
}

/** The caller's connected apps (RLS: their own connections only), most recently used first. */
export async function listMyApps(session: Session, context: RequestContext = {}): Promise<ConnectedApp[]> {
  return withUser(session, async (tx) => {
    const { rows } = await sql<{ client_id: string; name: string; scopes: string[]; created_at: string; last_used_at: string | null }>`
      select g.client_id, a.name, g.scopes, g.created_at, g.last_used_at
        from app.smart_grants g join app.smart_apps a on a.client_id = g.client_id
       where g.user_id = ${session.userId}::uuid
       order by coalesce(g.last_used_at, g.created_at) desc`.execute(tx);
    return rows.map((r) => ({
      client_id: r.client_id,
      name: r.name,
      scopes: r.scopes.map((scope) => ({ scope, description: describeScope(scope) })),
      connected_at: new Date(r.created_at).toISOString(),
      last_used_at: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
    }));
  }, context);
}
