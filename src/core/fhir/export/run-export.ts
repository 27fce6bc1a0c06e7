import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { sql } from "kysely";
import type { Session } from "../../auth/session-types";
import { recordRead } from "../../audit/record";
import { asService, withUser, type RequestContext, type Tx } from "../../db/with-user";
import { log } from "../../log";
import type { ObjectStore } from "../../storage/object-store";
import { FHIR_CHANNEL } from "../record-fhir-read";
import type { AnyResourceDefinition, MapContext, SourceRow } from "../search/resource-definition";
import { rowColumns, rowOrder } from "../search/run-search";
import { exportableDefinitions } from "./exportable-types";
import { exportFileKey, exportStore } from "./export-store";

/** Patients per page: every type's rows of these patients are read in one transaction. */
export const DEFAULT_PATIENTS_PER_PAGE = 250;
/** Rows per page for the types outside the Patient compartment (practitioners). */
const ROWS_PER_PAGE = 1000;

export interface RunOptions {
  base: string;
  origin: string;
  context?: RequestContext;
  store?: ObjectStore;
  patientsPerPage?: number;
}

interface JobRow {
  id: string;
  level: "system" | "patient";
  types: string[];
  since: Date | null;
}

class Cancelled extends Error {}

const SERVICE_REASON = "fhir export runner: the job's own bookkeeping (state, progress, files), never its data";

/** Jobs running in this process (tests and the graceful stop wait for them). */
const inFlight = new Map<string, Promise<void>>();

export function runExportInBackground(jobId: string, session: Session, opts: RunOptions): void {
  const run = runExport(jobId, session, opts)
    .catch((e: unknown) => log.error({ jobId, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, "fhir export failed"))
    .finally(() => inFlight.delete(jobId));
  inFlight.set(jobId, run);
}

/** Resolves once every export running in this process has finished. */
export async function exportsSettled(): Promise<void> {
  while (inFlight.size) await Promise.all([...inFlight.values()]);
}

/** One NDJSON file being written: rows go in, sealed bytes go to the store as they come. */
class NdjsonFile {
  readonly fileId = randomUUID();
  readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  count = 0;
  readonly stored: Promise<void>;

  constructor(readonly def: AnyResourceDefinition, store: ObjectStore, jobId: string) {
    this.stored = store.put(exportFileKey(jobId, this.fileId), this.stream);
    this.stored.catch(() => undefined); // awaited in finish(); a failure also fails write()
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.count += lines.length;
    if (!this.stream.write(lines.join("\n") + "\n")) {
      await Promise.race([once(this.stream, "drain"), this.stored]);
    }
  }

  async finish(): Promise<void> {
    this.stream.end();
    await this.stored;
  }

  abort(): void {
    // the store's put fails with this error; once the put has settled (its listeners gone),
    // the stream's own "error" event must not become an uncaught exception
    this.stream.on("error", () => undefined);
    this.stream.destroy(new Error("export aborted"));
  }
}

/**
 * Runs one export job: pages through the data with keyset cursors AS THE JOB'S OWNER
 * (withUser: RLS decides what is exported, and each page is recorded as a read of its
 * patients), maps each row with the read API's mapper, and streams NDJSON into one sealed
 * file per type. Memory stays at about one page, whatever the size of the clinic. The job's
 * state is kept on the service path; a job cancelled meanwhile stops at the next page and
 * leaves no file behind.
 */
export async function runExport(jobId: string, session: Session, opts: RunOptions): Promise<void> {
  const store = opts.store ?? exportStore();
  const job = await asService(SERVICE_REASON, async (tx) =>
    (await tx
      .updateTable("app.fhir_export_jobs")
      .set({ status: "running", updated_at: new Date() })
      .where("id", "=", jobId)
      .where("status", "=", "accepted")
      .returning(["id", "level", "types", "since"])
      .executeTakeFirst()) as JobRow | undefined,
  );
  if (!job) return; // cancelled before it started, or taken by another runner

  const ctx: MapContext = { base: opts.base, origin: opts.origin, session };
  const wanted = new Set(job.types);
  const defs = exportableDefinitions(job.level).filter((d) => wanted.has(d.type));
  const files = defs.map((d) => new NdjsonFile(d, store, jobId));
  const perPage = opts.patientsPerPage ?? DEFAULT_PATIENTS_PER_PAGE;
  try {
    const compartment = files.filter((f) => f.def.patientColumn);
    const total = compartment.length
      ? await withUser(session, async (tx) => Number((await sql<{ n: string }>`select count(*) as n from public.patients`.execute(tx)).rows[0].n), opts.context)
      : 0;
    let done = 0;
    let lastPatient: string | null = null;
    while (compartment.length) {
      // Each type's lines go to its file as soon as its query returns, so the process holds
      // one type of one page at a time. If the page's transaction then fails (its read
      // record, say), the job fails and every file is deleted: nothing unaudited is served.
      const patientIds: string[] = await withUser(session, async (tx) => {
        const { rows } = await sql<{ id: string }>`select id from public.patients
           where ${lastPatient ? sql`id > ${lastPatient}::uuid` : sql`true`} order by id limit ${perPage}`.execute(tx);
        const ids = rows.map((r) => r.id);
        if (ids.length === 0) return ids;
        for (const f of compartment) await exportForPatients(tx, f, ids, job.since, ctx);
        await recordRead(tx, {
          kind: "export",
          patientIds: ids,
          details: { via: FHIR_CHANNEL, operation: "$export", job_id: jobId, types: compartment.map((f) => f.def.type) },
        });
        return ids;
      }, opts.context);
      if (patientIds.length === 0) break;
      lastPatient = patientIds[patientIds.length - 1];
      done += patientIds.length;
      await checkpoint(jobId, `${Math.min(done, total)} of ${total} patients`);
    }
    for (const f of files.filter((x) => !x.def.patientColumn)) {
      let lastId: string | null = null;
      for (;;) {
        const rows: { lines: string[]; lastId: string | null } = await withUser(session, (tx) => readPage(tx, f.def, lastId, job.since, ctx), opts.context);
        await f.write(rows.lines);
        if (!rows.lastId) break;
        lastId = rows.lastId;
        await checkpoint(jobId, `${f.def.type}: ${f.count}`);
      }
    }
    await Promise.all(files.map((f) => f.finish()));
    const output = files.filter((f) => f.count > 0).map((f) => ({ type: f.def.type, file: f.fileId, count: f.count }));
    await Promise.all(files.filter((f) => f.count === 0).map((f) => store.delete(exportFileKey(jobId, f.fileId))));
    const completed = await asService(SERVICE_REASON, (tx) =>
      tx
        .updateTable("app.fhir_export_jobs")
        .set({ status: "completed", output: JSON.stringify(output), progress: null, finished_at: new Date(), updated_at: new Date(), expires_at: sql`now() + interval '24 hours'` as never })
        .where("id", "=", jobId)
        .where("status", "=", "running")
        .executeTakeFirst(),
    );
    if (Number(completed.numUpdatedRows) === 0) throw new Cancelled();
  } catch (e) {
    for (const f of files) f.abort();
    await Promise.all(files.map((f) => f.stored.catch(() => undefined)));
    await Promise.all(files.map((f) => store.delete(exportFileKey(jobId, f.fileId)).catch(() => undefined)));
    if (e instanceof Cancelled) return;
    await asService(SERVICE_REASON, (tx) =>
      tx
        .updateTable("app.fhir_export_jobs")
        .set({ status: "failed", error: failureText(e), finished_at: new Date(), updated_at: new Date() })
        .where("id", "=", jobId)
        .where("status", "=", "running")
        .execute(),
    ).catch(() => undefined);
    throw e;
  }
}

/** What the status URL says of a failure: the kind of error, never its message (it may quote data). */
function failureText(e: unknown): string {
  const code = (e as { code?: string })?.code;
  if (code === "CB401") return "The session that started the export has ended.";
  return `The export failed on the server (${(e as Error)?.name ?? "error"}${code ? ` ${code}` : ""}).`;
}

/** Records progress and stops the run if the job was cancelled (DELETE on its status URL). */
async function checkpoint(jobId: string, progress: string): Promise<void> {
  const r = await asService(SERVICE_REASON, (tx) =>
    tx
      .updateTable("app.fhir_export_jobs")
      .set({ progress: progress.slice(0, 200), updated_at: new Date() })
      .where("id", "=", jobId)
      .where("status", "=", "running")
      .executeTakeFirst(),
  );
  if (Number(r.numUpdatedRows) === 0) throw new Cancelled();
}

async function mapRows(tx: Tx, def: AnyResourceDefinition, rows: SourceRow[], ctx: MapContext): Promise<string[]> {
  if (rows.length === 0) return [];
  if (def.prepare) await def.prepare(tx, rows, ctx);
  return rows.map((r) => JSON.stringify(def.toFhir(r, ctx)));
}

const sinceClause = (since: Date | null) => (since ? sql`and r.last_updated >= ${since.toISOString()}::timestamptz` : sql``);

/** Rows fetched at a time from a type's cursor: bounds the memory of one page whatever its patients hold. */
const FETCH_ROWS = 500;
let fetchRows = FETCH_ROWS;

/** Tests: a small fetch size, so that a small clinic's export crosses several fetches. */
export function useExportFetchRows(n?: number): void {
  fetchRows = n ?? FETCH_ROWS;
}

/**
 * One type's rows of a page of patients, under the caller's RLS, in the read API's order per
 * patient, mapped and written to its file fetchRows (500) at a time through a cursor in the page's
 * transaction.
 */
async function exportForPatients(tx: Tx, file: NdjsonFile, patientIds: string[], since: Date | null, ctx: MapContext): Promise<void> {
  const def = file.def;
  const order = sql`r.patient_id, ${rowOrder(def)}`;
  await sql`declare cb_export_rows no scroll cursor for select ${rowColumns(def)} from (${def.source}) r
     where r.patient_id = any(${patientIds}::uuid[]) ${sinceClause(since)} order by ${order}`.execute(tx);
  for (;;) {
    const { rows } = await sql<SourceRow>`fetch forward ${sql.raw(String(fetchRows))} from cb_export_rows`.execute(tx);
    await file.write(await mapRows(tx, def, rows, ctx));
    if (rows.length < fetchRows) break;
  }
  await sql`close cb_export_rows`.execute(tx);
}

/** A keyset page of a type outside the Patient compartment (not PHI: the staff directory). */
async function readPage(tx: Tx, def: AnyResourceDefinition, after: string | null, since: Date | null, ctx: MapContext): Promise<{ lines: string[]; lastId: string | null }> {
  const key = def.idType === "uuid" ? sql`${after}::uuid` : def.idType === "bigint" ? sql`${after}::bigint` : sql`${after}`;
  const order = def.idType === "text" ? sql`r.id collate "C"` : sql`r.id`;
  const { rows } = await sql<SourceRow>`select * from (${def.source}) r
     where ${after === null ? sql`true` : sql`${order} > ${key}`} ${sinceClause(since)} order by ${order} limit ${ROWS_PER_PAGE}`.execute(tx);
  const lines = await mapRows(tx, def, rows, ctx);
  return { lines, lastId: rows.length === ROWS_PER_PAGE ? String(rows[rows.length - 1].id) : null };
}
