import { AppError } from "../errors";

/**
 * "The database is not there right now" told apart from "this statement is wrong": a
 * restart, a failover or a server that is still starting answers 503 with Retry-After
 * (docs/operations.md), so that a client retries later instead of reporting a bug.
 */

/** Seconds a client is asked to wait before retrying. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export class DatabaseUnavailableError extends AppError {
  constructor() {
    super(503, "database_unavailable", "The database is not reachable right now. Try again in a few seconds.", {
      "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS),
    });
  }
}

/** A network dependency (not known to be the database) refused or dropped the connection. */
export class DependencyUnavailableError extends AppError {
  constructor() {
    super(503, "service_unavailable", "A service Carebase depends on is not reachable right now. Try again in a few seconds.", {
      "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS),
    });
  }
}

/**
 * SQLSTATEs that mean the server or the connection is gone, not that the statement failed:
 * class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up, shutting down, in recovery), 53300
 * too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** node-postgres's own errors for a connection that died or a pool that is closed (they carry no code). */
const PG_CONNECTION_MESSAGES = [
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "Cannot use a pool after calling end on the pool",
  "timeout exceeded when trying to connect",
];

/** Socket errors: the peer refused, reset, or could not be found. */
const NETWORK_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Set by the pool adapter (engine.ts) on errors from opening a database connection. */
const FROM_DATABASE_CONNECT = Symbol.for("carebase.db.connect-error");

/** Marks an error thrown while taking a connection from the database pool (and returns it). */
export function markDatabaseConnectError<E>(e: E): E {
  if (e && typeof e === "object") Object.defineProperty(e, FROM_DATABASE_CONNECT, { value: true });
  return e;
}

/**
 * What an error thrown by a request says about availability: "database" when the database
 * is unreachable, "dependency" for a bare socket error from elsewhere, undefined when it is
 * not an availability problem.
 */
export function unavailability(e: unknown): "database" | "dependency" | undefined {
  if (!e || typeof e !== "object") return undefined;
  const err = e as { code?: unknown; message?: unknown; [FROM_DATABASE_CONNECT]?: boolean };
  if (err[FROM_DATABASE_CONNECT]) return "database";
  const code = typeof err.code === "string" ? err.code : undefined;
  if (code && ((code.length === 5 && code.startsWith("08")) || UNAVAILABLE_SQLSTATES.has(code))) return "database";
  const message = typeof err.message === "string" ? err.message : "";
  if (!code && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m))) return "database";
  if (code && NETWORK_ERRNOS.has(code)) return "dependency";
  return undefined;
}
