import pg from "pg";
import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL } from "../../../tests/support/db";
import { MAX_PREPARED, oneStatementTransaction, PIPELINED, PREPARED, PipeliningClient, pipeliningPool } from "./pipelined-transactions";

/**
 * The held-back BEGIN and claims statements (pipelined-transactions.ts) against a real
 * PostgreSQL server: one pooled client, so every transaction below runs on the same
 * connection and a transaction left open or aborted would show in the next one.
 */
describe.skipIf(!TEST_PG_URL)("pipelined transactions on PostgreSQL", () => {
  let pool: pg.Pool;
  let client: PipeliningClient;
  let db: Kysely<Record<string, never>>;
  const claims = (value: string) => sql`${sql.raw(PIPELINED)}select set_config('test.claims', ${value}, true)`;
  const trips = () => client.roundTrips;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 1 });
    const wrapped = pipeliningPool(pool);
    client = (await wrapped.connect()) as PipeliningClient;
    client.release();
    db = new Kysely({ dialect: new PostgresDialect({ pool: wrapped }) });
    await sql`create temp table pipelined_t (n int primary key)`.execute(db);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  /** True when the connection is idle outside any transaction (an aborted one would refuse this). */
  async function idle(): Promise<boolean> {
    const { rows } = await sql<{ x: string | null }>`select pg_current_xact_id_if_assigned()::text as x, now() = statement_timestamp() as fresh`.execute(db);
    return rows.length === 1 && rows[0].x === null;
  }

  it("sends BEGIN and the claims statement with the first statement: two round trips for a one-statement transaction", async () => {
    const before = trips();
    const got = await db.transaction().execute(async (tx) => {
      await claims("alice").execute(tx);
      const { rows } = await sql<{ c: string }>`select current_setting('test.claims') as c`.execute(tx);
      return rows[0].c;
    });
    expect(got).toBe("alice");
    expect(trips() - before).toBe(2);
    // the setting was transaction-local and the transaction is over
    const { rows } = await sql<{ c: string | null }>`select current_setting('test.claims', true) as c`.execute(db);
    expect(rows[0].c ?? "").toBe("");
    expect(await idle()).toBe(true);
  });

  it("keeps the transaction: a failure after the first statement rolls back what the batch wrote", async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await claims("bob").execute(tx);
        await sql`insert into pipelined_t values (1)`.execute(tx);
        await sql`select 1 / 0`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: "22012" });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t`.execute(db);
    expect(rows[0].n).toBe(0);
    await db.transaction().execute(async (tx) => {
      await claims("bob").execute(tx);
      await sql`insert into pipelined_t values (2)`.execute(tx);
    });
    const after = await sql<{ n: number }>`select n from pipelined_t`.execute(db);
    expect(after.rows).toEqual([{ n: 2 }]);
    expect(await idle()).toBe(true);
  });

  it("a held-back statement that fails stops the batch: the statement behind it never runs, and its error answers every later statement", async () => {
    let secondError: unknown = null;
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`${sql.raw(PIPELINED)}select 1 / 0`.execute(tx); // held back: no error yet
        try {
          await sql`insert into pipelined_t values (3)`.execute(tx);
        } catch {
          // code that swallows the first error cannot go on in this transaction
        }
        try {
          await sql`insert into pipelined_t values (4)`.execute(tx);
        } catch (e) {
          secondError = e;
        }
      }),
    ).rejects.toMatchObject({ code: "22012" }); // COMMIT answers the same error
    expect(secondError).toMatchObject({ code: "22012" });
    const { rows } = await sql<{ n: number }>`select n from pipelined_t order by n`.execute(db);
    expect(rows).toEqual([{ n: 2 }]);
    expect(await idle()).toBe(true);
  });

  it("a transaction that fails before its first statement sends nothing at all", async () => {
    const before = trips();
    await expect(
      db.transaction().execute(async (tx) => {
        await claims("carol").execute(tx);
        throw new Error("refused before any statement");
      }),
    ).rejects.toThrow("refused before any statement");
    expect(trips() - before).toBe(0);
    expect(await idle()).toBe(true);
  });

  it("a transaction without statements still runs its held-back ones at COMMIT (one round trip), and their errors reach the caller", async () => {
    const before = trips();
    await db.transaction().execute(async (tx) => {
      await claims("dave").execute(tx);
    });
    expect(trips() - before).toBe(1);
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`${sql.raw(PIPELINED)}select 1 / 0`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: "22012" });
    expect(await idle()).toBe(true);
  });

  it("a value pg cannot send fails the batch before anything is written", async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(
      db.transaction().execute(async (tx) => {
        await claims("erin").execute(tx);
        await sql`select ${circular}::jsonb`.execute(tx);
      }),
    ).rejects.toThrow();
    expect(await idle()).toBe(true);
  });

  it("a PIPELINED statement later in the transaction (a read record) goes with COMMIT: no round trip of its own", async () => {
    const before = trips();
    await db.transaction().execute(async (tx) => {
      await claims("heidi").execute(tx);
      await sql`select 1`.execute(tx);
      await sql`${sql.raw(PIPELINED)}insert into pipelined_t values (20)`.execute(tx);
    });
    expect(trips() - before).toBe(2);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n = 20`.execute(db);
    expect(rows[0].n).toBe(1);
    expect(await idle()).toBe(true);
  });

  it("a held read record that fails at COMMIT fails the transaction, and nothing of it is committed", async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await claims("ivan").execute(tx);
        await sql`insert into pipelined_t values (21)`.execute(tx);
        await sql`${sql.raw(PIPELINED)}select 1 / 0`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: "22012" });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n = 21`.execute(db);
    expect(rows[0].n).toBe(0);
    expect(await idle()).toBe(true);
  });

  it("a rollback after BEGIN went out drops what is held back and rolls back on the server", async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await claims("judy").execute(tx);
        await sql`insert into pipelined_t values (22)`.execute(tx);
        await sql`${sql.raw(PIPELINED)}insert into pipelined_t values (23)`.execute(tx);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n in (22, 23)`.execute(db);
    expect(rows[0].n).toBe(0);
    expect(await idle()).toBe(true);
  });

  /** A transaction whose one statement carries its COMMIT (withUser's oneStatement). */
  const oneStatement = <T>(fn: (tx: Transaction<Record<string, never>>) => Promise<T>) =>
    db.transaction().execute(async (tx) => {
      await claims("grace").execute(tx);
      return oneStatementTransaction.run({ used: false }, () => fn(tx));
    });

  it("a one-statement transaction is one round trip, and what it wrote is committed", async () => {
    const before = trips();
    const got = await oneStatement(async (tx) => {
      const { rows } = await sql<{ c: string }>`insert into pipelined_t values (10) returning current_setting('test.claims') as c`.execute(tx);
      return rows[0].c;
    });
    expect(got).toBe("grace");
    expect(trips() - before).toBe(1);
    expect(await idle()).toBe(true);
    // committed: still there after the transaction (a rolled-back insert would be gone)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n = 10`.execute(db);
    expect(rows[0].n).toBe(1);
    await sql`delete from pipelined_t where n = 10`.execute(db);
  });

  it("a one-statement transaction whose statement fails writes nothing and leaves the connection clean", async () => {
    await expect(
      oneStatement(async (tx) => {
        await sql`insert into pipelined_t values (11), (11)`.execute(tx); // the second row collides
      }),
    ).rejects.toMatchObject({ code: "23505" });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n = 11`.execute(db);
    expect(rows[0].n).toBe(0);
    expect(await idle()).toBe(true);
  });

  it("a one-statement transaction refuses a second statement (the first is already committed)", async () => {
    await expect(
      oneStatement(async (tx) => {
        await sql`insert into pipelined_t values (12)`.execute(tx);
        await sql`insert into pipelined_t values (13)`.execute(tx);
      }),
    ).rejects.toThrow(/second statement/);
    const { rows } = await sql<{ n: number }>`select n from pipelined_t where n in (12, 13)`.execute(db);
    expect(rows).toEqual([{ n: 12 }]);
    expect(await idle()).toBe(true);
  });

  it("a held-back statement that fails stops a one-statement transaction before its statement", async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`${sql.raw(PIPELINED)}select 1 / 0`.execute(tx);
        return oneStatementTransaction.run({ used: false }, () => sql`insert into pipelined_t values (14)`.execute(tx));
      }),
    ).rejects.toMatchObject({ code: "22012" });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pipelined_t where n = 14`.execute(db);
    expect(rows[0].n).toBe(0);
    expect(await idle()).toBe(true);
  });

  it("statements outside a transaction, and PIPELINED ones outside one, run as they come", async () => {
    const before = trips();
    const { rows } = await sql<{ c: string }>`${sql.raw(PIPELINED)}select set_config('test.claims', 'frank', false) as c`.execute(db);
    expect(rows[0].c).toBe("frank");
    expect(trips() - before).toBe(1);
    await sql`select set_config('test.claims', '', false)`.execute(db);
  });
  describe("PREPARED statements", () => {
    const kept = () => sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(db).then((r) => r.rows);
    const inTx = <T>(fn: (tx: Transaction<Record<string, never>>) => Promise<T>) =>
      db.transaction().execute(async (tx) => {
        await claims("p").execute(tx);
        return fn(tx);
      });
    const half = (tx: Transaction<Record<string, never>>, n: number) => sql<{ h: number }>`${sql.raw(PREPARED)}select 100 / ${n}::int as h`.execute(tx).then((r) => r.rows[0].h);

    it("are parsed once per connection under a name and bound to it afterwards, with each use's own values", async () => {
      expect(await inTx((tx) => half(tx, 4))).toBe(25);
      const after = await kept();
      const mine = after.filter((k) => k.statement.includes("select 100 /"));
      expect(mine).toHaveLength(1);
      expect(mine[0].name).toMatch(/^cb_\d+$/);
      // again, in a one-statement transaction too: bound to the same name, not parsed again
      expect(await inTx((tx) => half(tx, 5))).toBe(20);
      expect(await db.transaction().execute(async (tx) => {
        await claims("p").execute(tx);
        return oneStatementTransaction.run({ used: false }, () => half(tx, 10));
      })).toBe(10);
      expect(await kept()).toEqual(after);
      expect(await idle()).toBe(true);
    });

    it("one that fails is closed and parsed under a new name on its next use", async () => {
      const before = (await kept()).find((k) => k.statement.includes("select 100 /"))!;
      await expect(inTx((tx) => half(tx, 0))).rejects.toMatchObject({ code: "22012" });
      expect(await inTx((tx) => half(tx, 2))).toBe(50);
      const now = (await kept()).filter((k) => k.statement.includes("select 100 /"));
      expect(now).toHaveLength(1);
      expect(now[0].name).not.toBe(before.name);
      expect(await idle()).toBe(true);
    });

    it("one whose table changed under it fails once, then is parsed again (a migration while the server runs)", async () => {
      await sql`create temp table prepared_t (a int)`.execute(db);
      await sql`insert into prepared_t values (1)`.execute(db);
      const all = (tx: Transaction<Record<string, never>>) => sql<Record<string, number>>`${sql.raw(PREPARED)}select * from prepared_t`.execute(tx).then((r) => r.rows);
      expect(await inTx(all)).toEqual([{ a: 1 }]);
      await sql`alter table prepared_t add column b int default 2`.execute(db);
      await expect(inTx(all)).rejects.toThrow(/cached plan must not change result type/);
      expect(await inTx(all)).toEqual([{ a: 1, b: 2 }]);
      expect(await idle()).toBe(true);
    });

    it("one behind a held-back statement that failed was never parsed: its next use parses it", async () => {
      const text = (tx: Transaction<Record<string, never>>) => sql<{ x: number }>`${sql.raw(PREPARED)}select 7 as x`.execute(tx).then((r) => r.rows[0].x);
      await expect(db.transaction().execute(async (tx) => {
        await sql`${sql.raw(PIPELINED)}select 1 / 0`.execute(tx);
        return text(tx);
      })).rejects.toMatchObject({ code: "22012" });
      expect((await kept()).some((k) => k.statement.includes("select 7 as x"))).toBe(false);
      expect(await inTx(text)).toBe(7);
      expect((await kept()).filter((k) => k.statement.includes("select 7 as x"))).toHaveLength(1);
    });

    it("with DB_PREPARED=0 are sent unnamed", async () => {
      const plain = new pg.Pool({ connectionString: TEST_PG_URL, max: 1 });
      const other = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: pipeliningPool(plain, { prepared: false }) }) });
      try {
        const got = await other.transaction().execute(async (tx) => {
          await claims("q").execute(tx);
          const n = await half(tx, 20);
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(tx);
          return [n, rows[0].n];
        });
        expect(got).toEqual([5, 0]);
      } finally {
        await other.destroy();
      }
    });

    it(`keeps at most ${MAX_PREPARED} per connection, closing the least recently used`, async () => {
      const nth = (tx: Transaction<Record<string, never>>, i: number) =>
        sql<{ i: number }>`${sql.raw(PREPARED)}select ${i}::int as i, ${sql.lit(i)} as j`.execute(tx).then((r) => r.rows[0].i);
      await inTx(async (tx) => {
        for (let i = 0; i < MAX_PREPARED; i++) expect(await nth(tx, i)).toBe(i);
        // the first one used again: the most recent now, so the next new one evicts the second
        expect(await nth(tx, 0)).toBe(0);
        for (let i = MAX_PREPARED; i < MAX_PREPARED + 5; i++) expect(await nth(tx, i)).toBe(i);
      });
      expect(client.preparedCount).toBe(MAX_PREPARED);
      // the evicted ones are closed with later batches (the last one with the next)
      const texts = (await kept()).map((k) => k.statement);
      expect(texts.length).toBeLessThanOrEqual(MAX_PREPARED + 1);
      expect(texts.some((t) => t.includes("as i, 0 as j"))).toBe(true);
      expect(texts.some((t) => t.includes("as i, 2 as j"))).toBe(false);
      // an evicted one is parsed again when it comes back
      expect(await inTx((tx) => nth(tx, 2))).toBe(2);
      expect((await kept()).filter((k) => k.statement.includes("as i, 2 as j"))).toHaveLength(1);
      expect(await idle()).toBe(true);
    });
  });
});
