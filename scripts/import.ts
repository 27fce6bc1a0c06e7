/**
 * npm run import -- --as EMAIL [--totp CODE] BUNDLE.json [MORE.json ...]
 *
 * Bulk onboarding: imports FHIR R4 transaction Bundles (each file all or nothing) into the
 * configured installation, exactly as POST /fhir/R4 does. The operator signs in AS the
 * provider (or admin) the records are imported for, with that account's password (from
 * CAREBASE_PASSWORD, or asked on the terminal without echo) and, for an account with two
 * factors, --totp CODE: a real session, the sign-in audited, every write through withUser
 * under that account's RLS (the importer joins each new patient's care team as attending).
 * Nothing here bypasses RLS; the session is revoked when the import ends.
 *
 * With the embedded database the server must be stopped (PGlite holds DATA_DIR); with a
 * PostgreSQL server it may run. Exit codes: 0 every file imported, 1 a file refused or
 * failed (the files before it stay imported; each file is one transaction), 2 usage or
 * sign-in refused.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { signIn } from "../src/core/auth/signin";
import { revokeSession } from "../src/core/auth/revoke-session";
import { closeDatabase, initDatabase } from "../src/core/db/index";
import { AppError } from "../src/core/errors";
import { FhirOperationError } from "../src/core/fhir/outcome";
import { importBundle } from "../src/core/fhir/import/import-bundle";

class UsageError extends Error {}

interface Args {
  email: string;
  totp?: string;
  files: string[];
}

function parseArgs(argv: string[]): Args {
  let email: string | undefined;
  let totp: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--as") email = argv[++i];
    else if (a === "--totp") totp = argv[++i];
    else if (a.startsWith("--")) throw new UsageError(`Unknown option ${a}.`);
    else files.push(a);
  }
  if (!email) throw new UsageError("Name the account to import as: --as EMAIL.");
  if (files.length === 0) throw new UsageError("Give at least one Bundle file.");
  return { email, totp, files };
}

/** The password from CAREBASE_PASSWORD, else asked on the terminal without echo. */
async function password(email: string): Promise<string> {
  const fromEnv = process.env.CAREBASE_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) throw new UsageError("Set CAREBASE_PASSWORD, or run on a terminal to be asked for the password.");
  process.stderr.write(`Password for ${email}: `);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  let typed = "";
  return new Promise((resolve, reject) => {
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdin.off("data", onData);
          process.stderr.write("\n");
          return resolve(typed);
        }
        if (ch === "\u0003") {
          process.stdin.setRawMode(false);
          return reject(new UsageError("Cancelled."));
        }
        if (ch === "\u007f") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    process.stdin.on("data", onData);
  });
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nUsage: npm run import -- --as EMAIL [--totp CODE] BUNDLE.json [MORE.json ...]\n`);
    return 2;
  }
  await initDatabase();
  const context = { requestId: `import-${process.pid}`, userAgent: "carebase import (scripts/import.ts)" };
  let session;
  try {
    ({ session } = await signIn({ email: args.email.trim().toLowerCase(), password: await password(args.email), totp_code: args.totp }, context));
  } catch (e) {
    if (!(e instanceof AppError) && !(e instanceof UsageError)) throw e;
    process.stderr.write(`Sign-in refused: ${(e as Error).message}\n`);
    return 2;
  }
  if (session.role === "patient") {
    process.stderr.write("Patients cannot import records: sign in as a provider or an admin.\n");
    await revokeSession(session.sessionId, "import finished", context);
    return 2;
  }
  const totals: Record<string, number> = {};
  let imported = 0;
  let failed = 0;
  const started = performance.now();
  try {
    for (const file of args.files) {
      const name = path.basename(file);
      const t0 = performance.now();
      try {
        const bundle = JSON.parse(await readFile(file, "utf8")) as unknown;
        const result = await importBundle(session, bundle, context);
        const info = result.entries.reduce((n, e) => n + e.issues.length, 0);
        for (const [type, n] of Object.entries(result.counts)) totals[type] = (totals[type] ?? 0) + n;
        imported++;
        process.stdout.write(`✓ ${name}: ${result.entries.length} entries (${Object.entries(result.counts).map(([t, n]) => `${n} ${t}`).join(", ")}), ${info} elements not stored, ${Math.round(performance.now() - t0)} ms\n`);
      } catch (e) {
        failed++;
        const detail = e instanceof FhirOperationError ? e.issues.map((i) => i.diagnostics).join("; ") : e instanceof AppError || e instanceof SyntaxError ? e.message : `${(e as Error).name}: the import failed on the server side`;
        process.stdout.write(`✗ ${name}: nothing imported from this file: ${detail}\n`);
        if (!(e instanceof AppError) && !(e instanceof SyntaxError)) process.stderr.write(`${(e as Error).stack ?? e}\n`);
      }
    }
  } finally {
    await revokeSession(session.sessionId, "import finished", context).catch(() => undefined);
  }
  process.stdout.write(
    `\n${imported} of ${args.files.length} files imported in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      `${Object.keys(totals).length ? `: ${Object.entries(totals).map(([t, n]) => `${n} ${t}`).join(", ")}` : ""}.\n` +
      `Each file's records are in the chart of the patients it names; the writes are in the audit trail as ${args.email}.\n`,
  );
  return failed ? 1 : 0;
}

main()
  .then(async (code) => {
    await closeDatabase().catch(() => undefined);
    process.exit(code);
  })
  .catch(async (e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    await closeDatabase().catch(() => undefined);
    process.exit(1);
  });
