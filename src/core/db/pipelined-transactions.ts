/**
 * Fewer round trips per transaction on PostgreSQL (issue #20, docs/pipelined-transactions.md).
 *
 * A `withUser` read used to cost four round trips: BEGIN, the claims statement, the read,
 * COMMIT. Here the pool Kysely uses holds BEGIN and the claims statement back and sends them
 * together with the transaction's first real statement, as one extended-protocol batch with
 * one Sync: two round trips instead of four. The server runs the batch in order and stops at
 * the first error, so a refused session (auth.enter_session raises) means the statement
 * behind it never runs, exactly as before.
 *
 * What may be held back:
 * - `begin` / `start transaction …` without parameters (what Kysely sends to open a transaction);
 * - inside that transaction, statements that start with PIPELINED, whose results nobody
 *   reads: the claims statements of withUser and asService, and read records (recordRead).
 *   They go with the next statement, or with COMMIT, in order.
 * Everything else runs at once, after what is held back. A rollback before BEGIN went out
 * sends nothing (there is nothing to undo); otherwise what is held back is dropped, as the
 * rollback would undo it. When a held-back
 * statement fails, its error is the answer to every later statement of that transaction
 * (COMMIT included) until the rollback, so code that catches the first error cannot carry
 * on in a transaction that never passed the session check.
 *
 * Used for the PostgreSQL pool only; PGlite runs statements as they come.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import pg from "pg";
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";

/** The marker a statement starts with when its result is not needed before the next one. */
export const PIPELINED = "/* pipelined */ ";

/**
 * The marker of a statement kept prepared on each connection (a named statement): parsed,
 * analysed and rewritten (row-level security included) once per connection, and planned
 * once the server finds its generic plan as good as a custom one. For large statements of a
 * fixed shape whose plan does not hinge on their values (FHIR searches by patient or id:
 * docs/prepared-statements.md).
 */
export const PREPARED = "/* prepared */ ";

/** Named statements kept per connection; the least recently used one is closed to make room. */
export const MAX_PREPARED = 64;

/**
 * Set around a transaction that makes exactly one statement (withUser's `oneStatement`):
 * its COMMIT travels in the same batch as that statement, so the whole transaction is one
 * round trip. The statement's result is answered only once the COMMIT has succeeded; a
 * second statement in such a transaction is refused.
 */
export const oneStatementTransaction = new AsyncLocalStorage<{ used: boolean }>();

// pg's own serialiser for bind values (what pg.Query uses for its parameters)
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue: (v: unknown) => unknown };

interface Step {
  text: string;
  values: unknown[];
  /** A named statement's name (PREPARED). */
  name?: string;
  /** Whether the batch parses it (first use on this connection) or binds the one parsed before. */
  parse?: boolean;
}

/** The parts of pg's wire connection that a batch writes to (pg/lib/connection.js). */
interface WireConnection {
  parse(msg: { text: string; name?: string }): void;
  bind(msg: { values: unknown[]; statement?: string }): void;
  describe(msg: { type: "P"; name: string }): void;
  execute(msg: { portal: string }): void;
  close(msg: { type: "S"; name: string }): void;
  sync(): void;
}

type Results = pg.QueryResult | pg.QueryResult[];
interface QueryInternals {
  handleCommandComplete(msg: unknown, connection: unknown): void;
}
const QueryBase = pg.Query as unknown as new (config: { text: string; callback: (err: Error | null, res: Results) => void }) => QueryInternals;

/** An error of a batch, with the index of the statement that raised it. */
export class PipelineError extends Error {
  constructor(readonly cause: unknown, readonly step: number) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/**
 * Several statements in one extended-protocol batch (Parse/Bind/Describe/Execute each, one
 * Sync). pg.Query already collects the results of several statements (as it does for a
 * multi-statement simple query) and answers once, at ReadyForQuery.
 */
class BatchQuery extends QueryBase {
  completed = 0;
  private readonly prepared: unknown[][];

  constructor(
    private readonly steps: Step[],
    /** Named statements to close first (retired: a failed batch may or may not have parsed them). */
    private readonly closing: string[],
    callback: (err: Error | null, res: Results) => void,
  ) {
    super({ text: steps.map((s) => s.text).join(";\n"), callback });
    // serialised before anything is written: a value pg cannot send fails the whole batch
    // here, with nothing on the wire
    this.prepared = steps.map((s) => s.values.map((v) => prepareValue(v)));
  }

  requiresPreparation(): boolean {
    return true;
  }

  override handleCommandComplete(msg: unknown, connection: unknown): void {
    this.completed++;
    super.handleCommandComplete(msg, connection);
  }

  /** Called by pg.Query.submit with the stream corked: the batch leaves in one write. */
  prepare(connection: WireConnection): void {
    // closing a statement that does not exist is not an error
    for (const name of this.closing) connection.close({ type: "S", name });
    this.steps.forEach((s, i) => {
      if (s.name === undefined) connection.parse({ text: s.text });
      else if (s.parse) connection.parse({ text: s.text, name: s.name });
      connection.bind({ values: this.prepared[i], ...(s.name !== undefined ? { statement: s.name } : {}) });
      connection.describe({ type: "P", name: "" });
      connection.execute({ portal: "" });
    });
    connection.sync();
  }
}

function runBatch(client: pg.PoolClient, steps: Step[], closing: string[] = []): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    const q: BatchQuery = new BatchQuery(steps, closing, (err, res) => {
      if (err) reject(new PipelineError(err, q.completed));
      else resolve(Array.isArray(res) ? res : [res]);
    });
    void client.query(q as unknown as pg.QueryConfig);
  });
}

const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
const ROLLBACK = /^\s*rollback\s*;?\s*$/i;
const COMMIT = /^\s*commit\s*;?\s*$/i;

function heldBack(command: string): PostgresQueryResult<never> {
  return { command: command as "SELECT", rowCount: 0, rows: [] };
}

/** A pooled client that holds BEGIN and PIPELINED statements back until the next statement. */
export class PipeliningClient implements PostgresPoolClient {
  private pending: Step[] = [];
  /** The error of a held-back statement, answered until the transaction is rolled back. */
  private failed: unknown = null;
  /** The transaction was committed with its one statement: its COMMIT/ROLLBACK is answered here. */
  private committed = false;
  /** A transaction this client held the BEGIN of is open (until its COMMIT or ROLLBACK). */
  private open = false;
  /** Its BEGIN has reached the server. */
  private begun = false;
  /** Round trips made (tests count them). */
  roundTrips = 0;
  /** PREPARED statements parsed on this connection (or in the batch being sent): text → name, least recently used first. */
  private readonly named = new Map<string, string>();
  /** Names to close with the next batch. */
  private retired: string[] = [];
  private lastName = 0;

  constructor(
    readonly raw: pg.PoolClient,
    /** Whether PREPARED statements are kept named (DB_PREPARED). */
    private readonly prepared = true,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== "string") {
      // a cursor is answered synchronously: what is held back goes first, on its own
      if (this.pending.length) void this.send([]).catch(() => {});
      this.roundTrips++;
      return this.raw.query(sqlOrCursor as unknown as pg.QueryConfig) as unknown as PostgresCursor<R>;
    }
    const values = [...(parameters ?? [])];
    if (this.committed) {
      if (COMMIT.test(sqlOrCursor) || ROLLBACK.test(sqlOrCursor)) {
        this.committed = false;
        return Promise.resolve(heldBack(COMMIT.test(sqlOrCursor) ? "COMMIT" : "ROLLBACK"));
      }
      return Promise.reject(new Error("A one-statement transaction made a second statement; it was already committed."));
    }
    if (this.failed !== null) {
      if (ROLLBACK.test(sqlOrCursor)) {
        this.reset();
        return this.direct<R>(sqlOrCursor, values);
      }
      return Promise.reject(this.failed);
    }
    if (!this.open) {
      if (values.length === 0 && BEGIN.test(sqlOrCursor)) {
        this.open = true;
        this.begun = false;
        this.pending.push({ text: sqlOrCursor, values });
        return Promise.resolve(heldBack("BEGIN"));
      }
      return this.direct<R>(sqlOrCursor, values);
    }
    // inside a transaction this client opened
    if (sqlOrCursor.startsWith(PIPELINED)) {
      this.pending.push({ text: sqlOrCursor, values });
      return Promise.resolve(heldBack("SELECT"));
    }
    if (ROLLBACK.test(sqlOrCursor)) {
      const reachedServer = this.begun;
      this.reset();
      // what is held back would be undone anyway; if not even BEGIN went out, nothing did
      return reachedServer ? this.direct<R>(sqlOrCursor, values) : Promise.resolve(heldBack("ROLLBACK"));
    }
    if (COMMIT.test(sqlOrCursor)) {
      this.open = false;
      return this.send([{ text: sqlOrCursor, values }]) as Promise<PostgresQueryResult<R>>;
    }
    const one = oneStatementTransaction.getStore();
    // only the statement right after withUser's own held-back claims (not a transaction some
    // other code opened inside fn)
    if (one && !one.used && !this.begun && this.pending.some((p) => p.text.startsWith(PIPELINED))) {
      one.used = true;
      return this.sendWithCommit({ text: sqlOrCursor, values }) as Promise<PostgresQueryResult<R>>;
    }
    return this.send([{ text: sqlOrCursor, values }]) as Promise<PostgresQueryResult<R>>;
  }

  private reset(): void {
    this.pending = [];
    this.failed = null;
    this.committed = false;
    this.open = false;
    this.begun = false;
  }

  /** BEGIN, the held-back statements, `step` and COMMIT in one batch; answers `step`'s result. */
  private async sendWithCommit(step: Step): Promise<pg.QueryResult> {
    const held = this.pending.length;
    this.pending.push(step, { text: "commit", values: [] });
    this.open = false;
    // if the statement or COMMIT fails, the error goes to fn and Kysely rolls back as usual
    const results = await this.sendHeld(held);
    this.committed = true;
    return results[results.length - 2];
  }

  private direct<R>(text: string, values: unknown[]): Promise<PostgresQueryResult<R>> {
    if (this.open) this.begun = true;
    this.roundTrips++;
    return this.raw.query(text, values) as unknown as Promise<PostgresQueryResult<R>>;
  }

  /** Sends what is held back followed by `steps`; answers the last statement's result. */
  private async send(steps: Step[]): Promise<pg.QueryResult> {
    const held = this.pending.length;
    this.pending.push(...steps);
    const results = await this.sendHeld(held);
    return results[results.length - 1];
  }

  /** Sends everything pending as one batch; the first `held` of them were held back. */
  private async sendHeld(held: number): Promise<pg.QueryResult[]> {
    // names retired before this batch are closed first; one this batch evicts goes with the next
    const closing = this.retired;
    this.retired = [];
    const steps = this.pending.map((s) => this.withName(s));
    this.pending = [];
    this.begun = true;
    this.roundTrips++;
    try {
      return await runBatch(this.raw, steps, closing);
    } catch (e) {
      if (!(e instanceof PipelineError)) throw e;
      // the failed statement and those skipped after it: whether their Parse ran is unknown
      // (and a statement whose plan no longer fits its tables fails on every use), so their
      // names are closed with the next batch and a later use parses under a new name
      for (const s of steps.slice(e.step)) if (s.name !== undefined) this.retire(s);
      if (e.step < held) this.failed = e.cause;
      throw e.cause;
    }
  }

  /** A PREPARED statement under its name on this connection (parsed by this batch if new). */
  private withName(step: Step): Step {
    if (!this.prepared || !step.text.startsWith(PREPARED)) return step;
    const name = this.named.get(step.text);
    if (name !== undefined) {
      this.named.delete(step.text);
      this.named.set(step.text, name);
      return { ...step, name, parse: false };
    }
    if (this.named.size >= MAX_PREPARED) {
      // closed with the next batch, after this one has bound it for the last time
      const [oldest, oldName] = this.named.entries().next().value as [string, string];
      this.named.delete(oldest);
      this.retired.push(oldName);
    }
    const fresh = `cb_${++this.lastName}`;
    this.named.set(step.text, fresh);
    return { ...step, name: fresh, parse: true };
  }

  private retire(step: Step): void {
    if (this.named.get(step.text) === step.name) this.named.delete(step.text);
    this.retired.push(step.name!);
  }

  /** Named statements kept on this connection (tests). */
  get preparedCount(): number {
    return this.named.size;
  }

  release(err?: Error | boolean): void {
    const dirty = this.pending.length > 0 || this.failed !== null || this.open;
    this.reset();
    // a client given back in the middle of a transaction is not reused
    (this.raw.release as (e?: Error | boolean) => void)(err ?? (dirty ? new Error("released inside a held-back transaction") : undefined));
  }
}

/** The pool Kysely uses on PostgreSQL: each pooled client wrapped once. */
export function pipeliningPool(pool: PostgresPool & { connect(): Promise<PostgresPoolClient> }, opts: { prepared?: boolean } = {}): PostgresPool {
  const wrapped = new WeakMap<object, PipeliningClient>();
  return {
    connect: async () => {
      const raw = (await pool.connect()) as unknown as pg.PoolClient;
      let c = wrapped.get(raw);
      if (!c) {
        c = new PipeliningClient(raw, opts.prepared !== false);
        wrapped.set(raw, c);
      }
      return c;
    },
    end: () => pool.end(),
  };
}
