import pg from "pg";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, TEST_PG_URL, type TestDatabase } from "../../../tests/support/db";
import { createUser } from "../../../tests/support/seed";
import { createPatient } from "../clinical/patients";
import { ZCreatePatientRequest } from "../clinical/patients.types";
import { errorResponse } from "../http/respond";
import { closeDatabase, useDatabase } from "./index";
import { withUser } from "./with-user";

/**
 * A PostgreSQL restart as the pool sees it: every backend is told 57P01 (admin_shutdown),
 * including those of clients checked out between two statements of a transaction, and new
 * connections are refused for a while. Simulated on the test server with the superuser:
 * pg_terminate_backend sends the same 57P01, and ALLOW_CONNECTIONS false refuses new ones.
 */
const SUPERUSER_URL = (() => {
  if (!TEST_PG_URL) return undefined;
  const u = new URL(TEST_PG_URL);
  u.username = "postgres";
  u.password = "";
  return u.toString();
})();

describe.skipIf(!TEST_PG_URL)("losing the PostgreSQL server", () => {
  let t: TestDatabase;
  let su: pg.Client;
  let dbName: string;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);

  beforeAll(async () => {
    t = await createTestDatabase("postgresql");
    useDatabase(t.db);
    su = new pg.Client({ connectionString: SUPERUSER_URL });
    await su.connect();
    dbName = (await t.db.pool.query<{ d: string }>("select current_database() as d")).rows[0].d;
    process.on("uncaughtException", onUncaught);
  });
  afterAll(async () => {
    process.removeListener("uncaughtException", onUncaught);
    await su?.query(`alter database ${dbName} allow_connections true`).catch(() => undefined);
    await su?.end();
    await closeDatabase();
    await t?.drop();
  });

  const terminateAppBackends = () =>
    su.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [dbName]);

  it("a checked-out client told 57P01 between two statements does not crash the process; the request answers 503", async () => {
    const user = await createUser("provider");
    let failure: unknown;
    try {
      await withUser(user.session, async (tx) => {
        await sql`select 1`.execute(tx);
        await terminateAppBackends();
        await new Promise((r) => setTimeout(r, 300)); // the FATAL arrives while no statement runs
        await sql`select 1`.execute(tx);
      });
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeDefined();
    const res = errorResponse(failure, "req-connloss1");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(uncaught).toEqual([]);
    // the pool dropped the dead client: the next request works
    expect(await withUser(user.session, async (tx) => (await sql<{ one: number }>`select 1 as one`.execute(tx)).rows[0].one)).toBe(1);
  });

  it("a write while the server refuses connections answers 503 with Retry-After, and works again once it is back", async () => {
    const user = await createUser("provider");
    const input = ZCreatePatientRequest.parse({ first_name: "Ada", last_name: "Restart", date_of_birth: "1970-01-01", gender: "female" });
    const write = () => createPatient(user.session, input, {});
    await su.query(`alter database ${dbName} allow_connections false`);
    await terminateAppBackends();
    await new Promise((r) => setTimeout(r, 300));
    let failure: unknown;
    try {
      await write();
    } catch (e) {
      failure = e;
    }
    const res = errorResponse(failure, "req-connloss2");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_unavailable");
    expect(uncaught).toEqual([]);

    await su.query(`alter database ${dbName} allow_connections true`);
    expect((await write()).last_name).toBe("Restart");
  });
});
