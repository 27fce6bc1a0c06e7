import { sql, type Transaction } from "kysely";
import type pg from "pg";
import { database } from "./index";
import type { DB } from "./schema";
import type { Session } from "../auth/session-types";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { staffIdleMinutes } from "../auth/staff-idle";
import { oneStatementTransaction, PIPELINED } from "./pipelined-transactions";

export type Tx = Transaction<DB>;

/** Where a request came from; read by audit triggers through current_setting('request.*'). */
export interface RequestContext {
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

/**
 * The database role a session acts as. Admins have their own role and policies, but only
 * at aal2: an admin session at aal1 acts as `authenticated`, which gives an account that is
 * on no care team and owns no record nothing but its own account row. (The database checks
 * it again: auth.enter_session refuses app_admin for an aal1 session row, and
 * app.i_am_admin(), which every admin policy calls, requires a live aal2 session row.)
 */
export function dbRoleFor(session: Session | null): "anon" | "authenticated" | "app_admin" {
  if (!session) return "anon";
  return session.role === "admin" && session.aal === "aal2" ? "app_admin" : "authenticated";
}

const MFA_REQUIRED = () =>
  new ForbiddenError("Your clinic requires two-factor authentication. Turn it on from your account page, then sign in again.", "mfa_required");

/** Maps the errors auth.enter_session raises to the API's: 'CB401' session ended, 'CB403' two factors needed. */
function sessionRefused(e: unknown): never {
  const code = (e as { code?: string })?.code;
  if (code === "CB401") throw new UnauthorizedError("The session has ended. Sign in again.", "session_revoked");
  if (code === "CB403") throw MFA_REQUIRED();
  throw e;
}

/** Runs fn in its transaction; a transaction nested in a one-statement one is not one itself. */
function runStatements<T>(fn: (tx: Tx) => Promise<T>, tx: Tx, oneStatement: boolean): Promise<T> {
  if (oneStatement) return oneStatementTransaction.run({ used: false }, () => fn(tx));
  return oneStatementTransaction.getStore() ? oneStatementTransaction.exit(() => fn(tx)) : fn(tx);
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
  opts: { oneStatement?: boolean } = {},
): Promise<T> {
  // A session that must enrol in two-factor authentication first reaches nothing through
  // here, on any channel (its account page reads its own row on a named service path).
  if (session?.mfaPending) throw MFA_REQUIRED();
  const db = await database();
  const role = dbRoleFor(session);
  const claims = session
    ? { sub: session.userId, role, app_role: session.role, session_id: session.sessionId, aal: session.aal, ...(session.smartApp ? { smart_app: { client_id: session.smartApp.clientId, name: session.smartApp.name } } : {}) }
    : { role };
  return db.kysely.transaction().execute(async (tx) => {
    // One statement: the claims, the request's origin, the session check in the database
    // (live, not pending, aal2 for app_admin: raises otherwise) and the role switch. On
    // PostgreSQL it travels with BEGIN and fn's first statement, in one round trip
    // (pipelined-transactions.ts), so a refused session surfaces at that statement: fn's
    // errors are mapped the same way.
    await sql`${sql.raw(PIPELINED)}select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                     set_config('request.id', ${context.requestId ?? ""}, true),
                     set_config('request.ip', ${context.ip ?? ""}, true),
                     set_config('request.user_agent', ${(context.userAgent ?? "").slice(0, 512)}, true),
                     auth.enter_session(${session?.sessionId ?? null}::uuid, ${session?.userId ?? null}::uuid, ${role}, ${staffIdleMinutes()}),
                     set_config('role', ${role}, true)`
      .execute(tx)
      .catch(sessionRefused);
    // oneStatement: fn makes exactly one statement, and its COMMIT travels with it (one
    // round trip on PostgreSQL; pipelined-transactions.ts). A second statement is refused.
    return runStatements(fn, tx, opts.oneStatement === true).catch(sessionRefused);
  });
}

/**
 * The privileged path: runs as `service_role`, whose access is written out as its own
 * policies and grants (db/migrations/0510): everything but rewriting the audit trail. Not
 * for anything a user identity could do instead. Every call names why it needs to bypass
 * the user's rules; the reason lands in the claims and so in the audit trail.
 * `grep -rn "asService(" src` lists them all (docs/one-way-in.md says what they are for).
 */
export async function asService<T>(reason: string, fn: (tx: Tx) => Promise<T>, context: RequestContext = {}): Promise<T> {
  const db = await database();
  return db.kysely.transaction().execute(async (tx) => {
    await sql`${sql.raw(PIPELINED)}select set_config('request.jwt.claims', ${JSON.stringify({ role: "service_role", reason })}, true),
                     set_config('request.id', ${context.requestId ?? ""}, true),
                     set_config('request.ip', ${context.ip ?? ""}, true),
                     set_config('request.user_agent', ${(context.userAgent ?? "").slice(0, 512)}, true),
                     set_config('role', 'service_role', true)`.execute(tx);
    return runStatements(fn, tx, false);
  });
}

/**
 * The same switch for the named jobs that hold a pg client in a transaction of their own
 * (the audit drain, checkpoints and verification). Call it right after BEGIN.
 */
export async function becomeService(client: Pick<pg.ClientBase, "query">, reason: string): Promise<void> {
  await client.query("select set_config('request.jwt.claims', $1, true), set_config('role', 'service_role', true)", [
    JSON.stringify({ role: "service_role", reason }),
  ]);
}
