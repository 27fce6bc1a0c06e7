/**
 * npm run bench:auth — what authentication costs.
 *
 * 1. One sign-in: argon2id verification alone, and the whole signIn() (rate-limit rows,
 *    lockout check, argon2id, session and refresh-token rows, audit record), p50/p95.
 * 2. The session check every authenticated request pays (authenticateAccessToken):
 *    JWT signature only (no session check) versus warm cache (session seen < 1 s ago)
 *    versus cold cache (one indexed query on auth.sessions ⋈ auth.users). Goal: the
 *    added p50 ≤ 1 ms on PostgreSQL.
 *
 * PostgreSQL from BENCH_DATABASE_URL or TEST_DATABASE_URL (a throw-away database is
 * created and dropped); PGlite in memory otherwise.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

process.env.LOG_LEVEL ??= "silent";
process.env.CAREBASE_SECRET ??= randomBytes(32).toString("hex");
// The bench signs in many times from one "IP": lift the limits for it.
process.env.RATE_LIMIT_SIGN_IN_IP = "1000000/60";
process.env.RATE_LIMIT_SIGN_IN_ACCOUNT = "1000000/60";

const { openDatabase } = await import("../src/core/db/engine");
const { migrate } = await import("../src/core/db/migrate");
const { useDatabase, closeDatabase } = await import("../src/core/db/index");
const { asService } = await import("../src/core/db/with-user");
const { hashPassword, verifyPassword } = await import("../src/core/auth/passwords");
const { startSession } = await import("../src/core/auth/start-session");
const { authenticateAccessToken } = await import("../src/core/auth/authenticate-access-token");
const { verifyAccessToken } = await import("../src/core/auth/tokens");
const { signIn } = await import("../src/core/auth/signin");

const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95), n: s.length };
}
const fmt = (ms: number) => `${ms.toFixed(ms < 1 ? 3 : 1)} ms`;

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  let dropName: string | undefined;
  let dbUrl: string | undefined;
  if (url) {
    dropName = `carebase_bench_auth_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${dropName}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${dropName}`;
    dbUrl = u.toString();
  }
  const db = await openDatabase(dbUrl ? { url: dbUrl, poolMax: 4 } : { pgliteDir: "memory://" });
  try {
    await migrate(db.pool);
    useDatabase(db);
    console.log(`engine: ${db.kind}`);

    // ------------------------------------------------------------------ sign-in
    const password = "violet tram across the harbour";
    const hash = await hashPassword(password);
    const email = `bench-${randomBytes(3).toString("hex")}@bench.test`;
    const user = await asService("bench seeding", (tx) =>
      tx.insertInto("auth.users").values({ email, role: "provider", full_name: "Bench", password_hash: hash }).returning(["id", "role"]).executeTakeFirstOrThrow(),
    );
    await verifyPassword(hash, password); // warm-up
    const argon = stats(await time(20, () => verifyPassword(hash, password)));
    const hashing = stats(await time(5, () => hashPassword(password)));
    await signIn({ email, password }, { ip: "203.0.113.1" });
    const full = stats(await time(20, () => signIn({ email, password }, { ip: "203.0.113.1" })));
    console.log(`argon2id hash (19 MiB, t=2, p=1): p50 ${fmt(hashing.p50)}`);
    console.log(`argon2id verify:                  p50 ${fmt(argon.p50)}  p95 ${fmt(argon.p95)}`);
    console.log(`whole sign-in (signIn):           p50 ${fmt(full.p50)}  p95 ${fmt(full.p95)}  (argon2id is ${((argon.p50 / full.p50) * 100).toFixed(0)}% of it)`);

    // ------------------------------------------------------------------ enumeration
    // Unknown email vs wrong password: both must pay for argon2id (a dummy hash for unknown
    // emails), so their times are alike. 4 tries per account stay under the lockout (5).
    const victims = await asService("bench seeding", (tx) =>
      tx
        .insertInto("auth.users")
        .values(Array.from({ length: 5 }, (_, i) => ({ email: `wrong-${i}-${randomBytes(3).toString("hex")}@bench.test`, role: "patient" as const, full_name: "Bench", password_hash: hash })))
        .returning("email")
        .execute(),
    );
    const refused = (p: Promise<unknown>) => p.then(() => { throw new Error("sign-in with a wrong password succeeded"); }, () => undefined);
    let k = 0;
    const wrongPw = stats(await time(20, () => refused(signIn({ email: victims[k++ % victims.length].email, password: "not the password at all" }, { ip: "203.0.113.2" }))));
    const unknownEmail = stats(await time(20, () => refused(signIn({ email: `nobody-${randomBytes(4).toString("hex")}@bench.test`, password: "not the password at all" }, { ip: "203.0.113.3" }))));
    console.log(`failed sign-in, wrong password:   p50 ${fmt(wrongPw.p50)}`);
    console.log(`failed sign-in, unknown email:    p50 ${fmt(unknownEmail.p50)}  (ratio ${(unknownEmail.p50 / wrongPw.p50).toFixed(2)}; ~1 means no timing oracle)`);

    // ------------------------------------------------------------------ session check
    const { tokens } = await asService("bench seeding", (tx) => startSession(tx, user, "aal1", {}));
    const token = tokens.access_token;
    const cache = () => (globalThis as unknown as Record<symbol, Map<string, number> | undefined>)[Symbol.for("carebase.session-cache")];
    const N = 3000;
    await time(200, () => verifyAccessToken(token));
    const none = stats(await time(N, () => verifyAccessToken(token)));
    await time(200, () => authenticateAccessToken(token));
    const warm = stats(await time(N, () => authenticateAccessToken(token)));
    const cold = stats(
      await time(N, () => {
        const c = cache();
        if (!c) throw new Error("the session cache moved; update the bench");
        c.clear();
        return authenticateAccessToken(token);
      }),
    );
    console.log(`token signature only (no session check): p50 ${fmt(none.p50)}  p95 ${fmt(none.p95)}`);
    console.log(`session check, warm cache:                p50 ${fmt(warm.p50)}  p95 ${fmt(warm.p95)}  added p50 ${fmt(warm.p50 - none.p50)}  (${(warm.p50 / none.p50).toFixed(2)}×)`);
    console.log(`session check, cold cache (DB query):     p50 ${fmt(cold.p50)}  p95 ${fmt(cold.p95)}  added p50 ${fmt(cold.p50 - none.p50)}  (${(cold.p50 / none.p50).toFixed(2)}×)`);
    const ok = cold.p50 - none.p50 <= 1;
    console.log(`goal (added p50 ≤ 1 ms, cold): ${ok ? "met" : "NOT met"}`);
  } finally {
    await closeDatabase();
    if (dropName && url) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${dropName} with (force)`);
      await c.end();
    }
  }
}

await main();
