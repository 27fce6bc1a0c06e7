import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PG_URL, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, TEST_PASSWORD, type TestUser } from "../support/seed";
import { rootSecret } from "@/core/config";
import { freePort, ROOT, send, startServer, waitReady, type ServerProcess } from "./drain-support";

/**
 * Two real server processes (server.ts on the production build) on one PostgreSQL database,
 * as docs/operations.md ("Several instances") runs them: a session ended on one instance is
 * refused on the other at once, not after some cache's lifetime. (That a write on one reaches
 * a socket on the other is tests/realtime/two-instances.test.ts.)
 */

const hasBuild = existsSync(path.join(ROOT, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"));
const servers: ServerProcess[] = [];
const dirs: string[] = [];

// Needs TEST_DATABASE_URL (a PostgreSQL server; CI sets it) and a production build (npm run
// build, or NEXT_DIST_DIR); without either the tests are reported as skipped.
describe.skipIf(!TEST_PG_URL || !hasBuild)("two server processes on one PostgreSQL database", () => {
  let t: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let provider: TestUser;

  beforeAll(async () => {
    t = await installTestDatabase("postgresql"); // migrated here; the servers find it current
    const url = (t.db.pool.options as { connectionString: string }).connectionString;
    provider = await createUser("provider");
    const env = (name: string) => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), `carebase-two-${name}-`));
      dirs.push(dataDir);
      // the same database and secret, each its own DATA_DIR (no documents are stored here)
      return { DATABASE_URL: url, CAREBASE_SECRET: rootSecret().toString("utf8"), DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    };
    a = startServer(env("a"), await freePort());
    servers.push(a);
    b = startServer(env("b"), await freePort());
    servers.push(b);
    await Promise.all([waitReady(a), waitReady(b)]);
  }, 240_000);

  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null) s.child.kill("SIGTERM");
      await Promise.race([s.exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (s.child.exitCode === null) s.child.kill("SIGKILL");
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await t?.drop();
  }, 120_000);

  it("a token signed in on A works on B, and is refused on B right after sign-out on A", async () => {
    const signedIn = await send(a.port, "POST", "/api/v1/auth/token", { email: provider.email, password: TEST_PASSWORD });
    expect(signedIn.status).toBe(200);
    const token = (JSON.parse(signedIn.body!) as { access_token: string }).access_token;
    const bearer = { authorization: `Bearer ${token}` };

    // B knows the session (and now holds it in its short session cache), from the shared database
    const onB = await send(b.port, "GET", "/api/v1/auth/user", undefined, bearer);
    expect(onB.status).toBe(200);
    expect(JSON.parse(onB.body!)).toMatchObject({ email: provider.email, role: "provider" });
    expect((await send(b.port, "GET", "/api/v1/patients", undefined, bearer)).status).toBe(200);

    const out = await send(a.port, "POST", "/api/v1/auth/logout", undefined, bearer);
    expect(out.status).toBe(204);

    // at once on B: both the account endpoint and a PHI list, within B's session-cache lifetime
    const [user, patients] = await Promise.all([
      send(b.port, "GET", "/api/v1/auth/user", undefined, bearer),
      send(b.port, "GET", "/api/v1/patients", undefined, bearer),
    ]);
    expect(user.status).toBe(401);
    expect(patients.status).toBe(401);
    expect(JSON.parse(user.body!)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    // and on A, and still on B a little later
    expect((await send(a.port, "GET", "/api/v1/auth/user", undefined, bearer)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await send(b.port, "GET", "/api/v1/auth/user", undefined, bearer)).status).toBe(401);
  });
});
