import { sql } from "kysely";
import type { Tx } from "../db/with-user";

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
 */
export async function recordRead(tx: Tx, read: ReadRecord): Promise<void> {
  await sql`select app.record_read(${read.kind}, ${read.patientIds}::uuid[], ${read.recordIds ?? []}::text[], ${
    read.details ? JSON.stringify(read.details) : null
  }::jsonb)`.execute(tx);
}
