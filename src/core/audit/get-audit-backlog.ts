import { sql } from "kysely";
import { asService } from "../db/with-user";

/** How far the audit job is behind: for metrics (docs/operations.md). */
export interface AuditBacklog {
  /** Read records staged and not yet on a hash chain. */
  staged: number;
  /** Age of the oldest staged record, seconds; null when nothing is staged. */
  oldestStagedSeconds: number | null;
  /** Time since the newest signed checkpoint, seconds; null when nothing was ever signed. */
  checkpointAgeSeconds: number | null;
}

/** Counts only: no record is read. Runs as the service identity (only it may read the stage and the checkpoints). */
export async function getAuditBacklog(): Promise<AuditBacklog> {
  return asService("metrics: audit stage backlog and checkpoint age", async (tx) => {
    const { rows } = await sql<{ staged: string; oldest: number | null; checkpoint_age: number | null }>`
      select (select count(*) from app.audit_read_stage)::text as staged,
             (select extract(epoch from now() - min(occurred_at))::float8 from app.audit_read_stage) as oldest,
             (select extract(epoch from now() - max(created_at))::float8 from app.audit_checkpoints) as checkpoint_age`.execute(tx);
    const r = rows[0];
    return {
      staged: Number(r?.staged ?? 0),
      oldestStagedSeconds: r?.oldest === null || r?.oldest === undefined ? null : Math.max(0, Number(r.oldest)),
      checkpointAgeSeconds: r?.checkpoint_age === null || r?.checkpoint_age === undefined ? null : Math.max(0, Number(r.checkpoint_age)),
    };
  });
}
