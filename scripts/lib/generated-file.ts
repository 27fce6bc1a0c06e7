import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openDatabase } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { createScratchDatabase, DEFAULT_SCRATCH_SERVER } from "./scratch-database";

/**
 * What the two generators of committed files (`npm run db:schema`, `npm run db:types`)
 * share: a scratch PostgreSQL database migrated from db/migrations, and writing the file or,
 * with --check, failing when the committed one is not what the migrations produce.
 */

/** Runs `fn` with the URL of a freshly migrated scratch database, dropped afterwards. */
export async function withMigratedScratch<T>(prefix: string, fn: (url: string) => Promise<T>): Promise<T> {
  const server = process.env.SCHEMA_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SCRATCH_SERVER;
  const scratch = await createScratchDatabase(server, prefix);
  try {
    const db = await openDatabase({ url: scratch.url, poolMax: 2 });
    try {
      await migrate(db.pool);
    } finally {
      await db.close();
    }
    return await fn(scratch.url);
  } finally {
    await scratch.drop();
  }
}

/**
 * Writes `text` to `file`, or with `check` compares it with the committed file: 0 when
 * current, 1 (naming the first line that differs and the command to run) when stale.
 */
export function writeOrCheck(file: string, text: string, check: boolean, command: string): number {
  const rel = path.relative(process.cwd(), file);
  if (!check) {
    writeFileSync(file, text);
    console.log(`${rel} written (${text.split("\n").length} lines).`);
    return 0;
  }
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    /* missing */
  }
  if (current === text) {
    console.log(`${rel} is current.`);
    return 0;
  }
  const a = current.split("\n");
  const b = text.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  console.error(`${rel} is stale: the migrations produce something else from line ${i + 1} on.`);
  console.error(`  committed: ${a[i] ?? "(end of file)"}\n  migrated:  ${b[i] ?? "(end of file)"}`);
  console.error(`Run \`${command}\` and commit ${rel}.`);
  return 1;
}
