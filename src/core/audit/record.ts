import type pg from "pg";
import { sql, type AliasedRawBuilder } from "kysely";
import { database } from "../db";
import { becomeService, type Tx } from "../db/with-user";
import { PIPELINED } from "../db/pipelined-transactions";

/** What kind of PHI a read returned. */
export type ReadKind =
  | "patient_list"
  | "patient_chart"
  | "care_team"
  | "visits"
  | "prescriptions"
  | "prescription_pdf"
  | "documents"
  | "document_download"
  | "signed_url"
  | "appointments"
  | "messages"
  | "vitals"
  | "devices"
  | "invites"
  | "export"
  | "access_log"
  | "audit_trail";

export interface ReadRecord {
  kind: ReadKind;
  /** Whose PHI was returned: one audit record per patient. */
  patientIds: string[];
  /** Ids of the rows returned (visits, prescriptions, ...). */
  recordIds?: string[];
  details?: Record<string, unknown>;
}

/**
 * Records a read of PHI in the reader's own transaction (withUser's tx). Call it in every
 * path that returns PHI, after the read and before the answer leaves.
 *
 * The record is staged (app.stage_read, migration 0209): one INSERT into an index-free
 * table, no chain work; a service job and every reader of the trail move it onto a hash
 * chain within seconds, keeping its id and time (docs/audit.md). Where the read is one
 * statement returning one patient's row, fold the record into that statement instead
 * (readRecordColumn): same record, one round trip fewer.
 */
export async function recordRead(tx: Tx, read: ReadRecord): Promise<void> {
  // Nobody reads its result: on PostgreSQL it travels with the transaction's next statement
  // or its COMMIT (pipelined-transactions.ts). A failure still fails the transaction, and
  // withUser answers nothing until COMMIT has succeeded.
  await sql`${sql.raw(PIPELINED)}select app.stage_read(${read.kind}, ${read.patientIds}::uuid[], ${read.recordIds ?? []}::text[], ${
    read.details ? JSON.stringify(read.details) : null
  }::jsonb)`.execute(tx);
}

/**
 * recordRead folded into the statement that reads: a select-list item that records the
 * read of each row the statement returns (a row that RLS hides, or a statement that fails,
 * records nothing). `patientIdColumn` names the row's patient, `recordIdColumn` the row's id
 * (the patient's own id by default). For statements returning ONE row: each row is one
 * record. The column comes back as an empty string; ignore it.
 *
 *   tx.selectFrom("patients").select([...cols, readRecordColumn("patient_chart", "patients.id")])
 */
export function readRecordColumn(kind: ReadKind, patientIdColumn: string, recordIdColumn: string = patientIdColumn): AliasedRawBuilder<string, "audit_read"> {
  return sql<string>`app.stage_read(${kind}, array[${sql.ref(patientIdColumn)}]::uuid[], array[${sql.ref(recordIdColumn)}::text], null)`.as("audit_read");
}

/**
 * Moves staged read records onto the hash chains (app.audit_drain_reads), in its own short
 * transaction: up to `max` records, oldest first; returns how many moved. The service job
 * calls it every second (startAuditCheckpoints); every reader of the trail (admin search,
 * export, access log, verify) calls it before reading, so that staged records are visible
 * to them. Runs as the service identity (service_role).
 */
export async function drainStagedReads(pool?: pg.Pool, max = 10_000): Promise<number> {
  const client = await (pool ?? (await database()).pool).connect();
  try {
    await client.query("begin");
    await becomeService(client, "audit: move staged read records onto the chains");
    const { rows } = await client.query<{ n: number }>("select app.audit_drain_reads($1) as n", [max]);
    await client.query("commit");
    return rows[0]?.n ?? 0;
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
