import { sql } from "kysely";
import { asService } from "../../db/with-user";
import { log } from "../../log";
import type { ObjectStore } from "../../storage/object-store";
import { exportFileKey, exportStore } from "./export-store";

/** A running job whose runner has not reported for this long is taken as dead (its instance stopped). */
export const STALE_RUNNER_MS = 15 * 60_000;
export const SWEEP_EVERY_MS = 15 * 60_000;

/**
 * Removes what exports leave behind: the files of jobs that expired (24 hours after they
 * completed), failed or were cancelled, and the expired jobs' rows; jobs whose runner died
 * with its process are marked failed. The job list is read on the service path (every
 * owner's jobs), the files are removed from DATA_DIR/exports. Returns what it removed.
 */
export async function sweepExports(store: ObjectStore = exportStore()): Promise<{ jobs: number; files: number }> {
  const reason = "fhir export sweep: expire jobs and remove their files";
  await asService(reason, (tx) =>
    tx
      .updateTable("app.fhir_export_jobs")
      .set({ status: "failed", error: "The export stopped when its server did; start it again.", finished_at: new Date() })
      .where("status", "in", ["accepted", "running"])
      .where("updated_at", "<", new Date(Date.now() - STALE_RUNNER_MS))
      .execute(),
  );
  const expired = await asService(reason, (tx) =>
    tx.deleteFrom("app.fhir_export_jobs").where("expires_at", "<", sql<Date>`now()`).returning(["id", "output"]).execute(),
  );
  const ended = await asService(reason, (tx) =>
    tx
      .updateTable("app.fhir_export_jobs")
      .set({ output: "[]" })
      .where("status", "in", ["failed", "cancelled"])
      .where(sql<boolean>`output <> '[]'::jsonb`)
      .returning(["id", "output"])
      .execute(),
  );
  let files = 0;
  for (const job of [...expired, ...ended]) {
    for (const f of job.output ?? []) {
      await store.delete(exportFileKey(job.id, f.file));
      files++;
    }
  }
  // files of jobs that no longer exist (a crash between the row's deletion and the files')
  const known = new Set((await asService(reason, (tx) => tx.selectFrom("app.fhir_export_jobs").select("id").execute())).map((r) => r.id));
  const cutoff = Date.now() - STALE_RUNNER_MS;
  for await (const o of store.list()) {
    const jobId = o.key.split("/")[0];
    if (!known.has(jobId) && o.lastModified.getTime() < cutoff) {
      await store.delete(o.key);
      files++;
    }
  }
  await store.removeIncomplete(new Date(cutoff));
  if (expired.length || files) log.info({ jobs: expired.length, files }, "fhir exports swept");
  return { jobs: expired.length, files };
}

const TIMER = Symbol.for("carebase.fhir-export-sweeps");
const g = globalThis as unknown as Record<symbol, NodeJS.Timeout | undefined>;

/**
 * Starts the periodic sweep in this process (once): at the first export, then every 15
 * minutes. The timer does not keep the process alive.
 */
export function ensureExportSweeps(): void {
  if (g[TIMER]) return;
  const run = () => void sweepExports().catch((e: unknown) => log.warn({ err: (e as Error)?.name }, "fhir export sweep failed"));
  g[TIMER] = setInterval(run, SWEEP_EVERY_MS);
  g[TIMER].unref();
}

export function stopExportSweeps(): void {
  if (g[TIMER]) clearInterval(g[TIMER]);
  g[TIMER] = undefined;
}
