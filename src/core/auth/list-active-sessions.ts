import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import type { Session } from "./session-types";

export interface ActiveSession {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  aal: "aal1" | "aal2";
  current: boolean;
}

/** The caller's live sessions (auth.sessions is service-only; the filter is the caller's own id). */
export async function listActiveSessions(session: Session, context: RequestContext = {}): Promise<ActiveSession[]> {
  const rows = await asService("list the caller's own sessions", (tx) =>
    tx
      .selectFrom("auth.sessions")
      .select(["id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "aal"])
      .where("user_id", "=", session.userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", sql<Date>`now()`)
      .orderBy("created_at", "desc")
      .limit(100)
      .execute(),
  context);
  const iso = (d: Date | string) => new Date(d).toISOString();
  return rows.map((r) => ({
    id: r.id,
    created_at: iso(r.created_at),
    last_seen_at: iso(r.last_seen_at),
    expires_at: iso(r.expires_at),
    ip: r.ip,
    user_agent: r.user_agent,
    aal: r.aal,
    current: r.id === session.sessionId,
  }));
}
