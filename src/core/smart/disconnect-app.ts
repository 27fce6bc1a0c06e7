import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { asService, withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { revokeConnections } from "./revoke-grant-connection";

/**
 * The caller disconnects an app: their connection is found as themselves (RLS: their own
 * only), then every token of it stops working at once (codes and tokens deleted, the app's
 * session revoked, on the service path).
 */
export async function disconnectApp(session: Session, clientId: string, context: RequestContext = {}): Promise<void> {
  const mine = await withUser(session, async (tx) => {
    const { rows } = await sql<{ client_id: string }>`
      select client_id from app.smart_grants where user_id = ${session.userId}::uuid and client_id = ${clientId}`.execute(tx);
    return rows.length > 0;
  }, context);
  if (!mine) throw new NotFoundError("connected app");
  await asService("revoke every token of an app the user disconnected", (tx) => revokeConnections(tx, { userId: session.userId, clientId }, "app disconnected by the user"), context);
}
