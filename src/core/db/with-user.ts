import { sql, type Transaction } from "kysely";
import { database } from "./index";
import type { DB } from "./schema";
import type { Session } from "../auth/session-types";

export type Tx = Transaction<DB>;

/** Where a request came from; read by audit triggers through current_setting('request.*'). */
export interface RequestContext {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

/** The database role a session acts as. Admins have their own role and policies. */
export function dbRoleFor(session: Session | null): "anon" | "authenticated" | "app_admin" {
  if (!session) return "anon";
  return session.role === "admin" ? "app_admin" : "authenticated";
}

/**
 * THE way to PHI. Runs `fn` in one transaction as the signed-in user: the request's claims
 * are set with set_config(..., true) and the role switched with the transaction-local
 * equivalent of SET LOCAL ROLE, so every statement inside is subject to RLS and both
 * vanish at commit or rollback (nothing leaks to the next user of the pooled connection).
 */
export async function withUser<T>(
  session: Session | null,
  fn: (tx: Tx) => Promise<T>,
  context: RequestContext = {},
): Promise<T> {
  const db = await database();
  const role = dbRoleFor(session);
  const claims = session
    ? { sub: session.userId, role, app_role: session.role, session_id: session.sessionId, aal: session.aal }
    : { role };
  return db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                     set_config('request.id', ${context.requestId ?? ""}, true),
                     set_config('request.ip', ${context.ip ?? ""}, true),
                     set_config('request.user_agent', ${(context.userAgent ?? "").slice(0, 512)}, true),
                     set_config('role', ${role}, true)`.execute(tx);
    return fn(tx);
  });
}

/**
 * The privileged path: runs as the service identity (the table owner), which RLS does not
 * restrict. For migrations, the audit writer, realtime fan-out, sign-in and first-admin
 * setup only. Every call names why it needs to bypass RLS.
 */
export async function asService<T>(reason: string, fn: (tx: Tx) => Promise<T>, context: RequestContext = {}): Promise<T> {
  const db = await database();
  return db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('request.jwt.claims', ${JSON.stringify({ role: "service_role", reason })}, true),
                     set_config('request.id', ${context.requestId ?? ""}, true),
                     set_config('request.ip', ${context.ip ?? ""}, true),
                     set_config('request.user_agent', ${(context.userAgent ?? "").slice(0, 512)}, true)`.execute(tx);
    return fn(tx);
  });
}
