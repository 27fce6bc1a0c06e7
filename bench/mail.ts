/**
 * The mail outbox (issue #14), measured against a real SMTP server on loopback
 * (smtp-server, as in the tests):
 *
 *   1. throughput: BENCH_MAILS mails enqueued, then delivered by one worker and by two
 *      workers at once (deliverDueMail in a loop, nodemailer's SMTP transport: one
 *      connection per mail, as in production), mails/s from the first lease to the last mark;
 *   2. latency: what enqueueMail adds to the transaction that writes it — a reset-token
 *      insert as POST /auth/password/forgot runs it, with and without the mail, paired
 *      round by round; p50 and p95 of each.
 *
 *   npm run bench:mail                 PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL,
 *                                      default postgres://carebase_app@127.0.0.1:5432/postgres;
 *                                      a throw-away database)
 *   npm run bench:mail -- --pglite     the embedded engine
 *   BENCH_MAILS=400 BENCH_ROUNDS=300
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import { useDatabase, closeDatabase } from "@/core/db";
import { openMigratedDatabase } from "../scripts/lib/migrated-database";
import { asService } from "@/core/db/with-user";
import { deliverDueMail, smtpTransport } from "@/core/mail/deliver-due-mail";
import { enqueueMail } from "@/core/mail/enqueue-mail";
import { mailConfig, type MailConfig } from "@/core/mail/mail-config";
import { sha256Hex } from "@/core/auth/tokens";
import { startTestSmtp } from "../tests/support/smtp";

process.env.CAREBASE_SECRET ||= randomBytes(32).toString("hex");
const MAILS = Number(process.env.BENCH_MAILS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const pglite = process.argv.includes("--pglite");
const SERVER = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || "postgres://carebase_app@127.0.0.1:5432/postgres";

const open = () => openMigratedDatabase(pglite ? "pglite" : "postgresql", { serverUrl: SERVER, poolMax: 4, prefix: "carebase_bench_mail" });

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function enqueueMany(n: number, config: MailConfig): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await asService("bench: enqueue", async (tx) => {
      for (let j = i; j < Math.min(n, i + 50); j++) await enqueueMail(tx, { kind: "password_changed", to: `bench-${j}@home.test`, params: {} }, config);
    });
  }
}

async function drain(workers: number, config: MailConfig): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const transport = smtpTransport(config.smtpUrl!);
      while ((await deliverDueMail(transport, { config })).sent > 0) {
        /* next batch */
      }
      transport.close?.();
    }),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const { db, drop } = await open();
  useDatabase(db);
  const smtp = await startTestSmtp();
  const config: MailConfig = { ...mailConfig({}), smtpUrl: smtp.url, publicUrl: "https://portal.clinic.test" };
  try {
    console.log(`engine: ${db.kind}; ${os.cpus().length} cores; ${MAILS} mails per run; ${ROUNDS} latency rounds`);
    for (const workers of [1, 2]) {
      smtp.mails.length = 0;
      await asService("bench: clear", (tx) => sql`delete from app.mail_outbox`.execute(tx));
      await enqueueMany(MAILS, config);
      const ms = await drain(workers, config);
      await smtp.waitFor(MAILS, 30_000);
      const ids = new Set(smtp.mails.map((m) => m.messageId));
      console.log(`throughput, ${workers} worker(s): ${((MAILS / ms) * 1000).toFixed(1)} mails/s (${MAILS} in ${(ms / 1000).toFixed(2)} s; ${smtp.mails.length} arrived, ${ids.size} distinct Message-IDs)`);
    }

    const user = await asService("bench: a user", async (tx) =>
      (await sql<{ id: string }>`insert into auth.users (email, password_hash, role, full_name)
        values ('bench-owner@home.test', 'x', 'patient', 'Bench Owner') returning id`.execute(tx)).rows[0].id);
    const without: number[] = [];
    const withMail: number[] = [];
    const once = async (mail: boolean) => {
      const token = randomBytes(32).toString("base64url");
      const s = performance.now();
      await asService("bench: a reset request", async (tx) => {
        await sql`insert into auth.password_reset_tokens (token_hash, user_id, expires_at)
                  values (${sha256Hex(token)}, ${user}, now() + interval '30 minutes')`.execute(tx);
        if (mail) await enqueueMail(tx, { kind: "password_reset", to: "bench-owner@home.test", params: { token } }, config);
      });
      return performance.now() - s;
    };
    for (let i = 0; i < 20; i++) await once(i % 2 === 0); // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      if (i % 2 === 0) {
        without.push(await once(false));
        withMail.push(await once(true));
      } else {
        withMail.push(await once(true));
        without.push(await once(false));
      }
    }
    const f = (x: number) => `${x.toFixed(3)} ms`;
    console.log(`transaction without mail: p50 ${f(pct(without, 50))}, p95 ${f(pct(without, 95))}`);
    console.log(`transaction with enqueueMail: p50 ${f(pct(withMail, 50))}, p95 ${f(pct(withMail, 95))}`);
    console.log(`enqueueMail adds (p50): ${f(pct(withMail, 50) - pct(without, 50))}`);
  } finally {
    await smtp.close();
    await closeDatabase();
    await drop().catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
