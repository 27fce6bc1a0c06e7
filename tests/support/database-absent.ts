import { currentDatabase, useDatabase, type Database } from "@/core/db";

/** Runs `fn` with no process database installed (as before start-up or after shutdown), then puts it back. */
export async function withoutDatabase<T>(fn: () => Promise<T>): Promise<T> {
  const db = currentDatabase();
  useDatabase(undefined as unknown as Database);
  try {
    return await fn();
  } finally {
    if (db) useDatabase(db);
  }
}
