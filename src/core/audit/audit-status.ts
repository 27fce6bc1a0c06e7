import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { asService, type RequestContext } from "../db/with-user";
import { GUARD_TRIGGERS, RECOMPUTED_HASH_SQL } from "./chain";
import { checkpointKey, checkpointMacValid } from "./checkpoint";

/**
 * What the admin audit page can say about the trail's integrity without walking it: the
 * newest signed checkpoint of each chain (is its signature genuine, is the record it
 * signed still there and unchanged, its hash recomputed from its contents), how many
 * records no checkpoint covers yet, and whether the guard triggers are on. 32 records and
 * one catalog query: cheap enough for a page view. The full check (every record's hash
 * and link) is `npm run audit:verify`.
 */
export interface AuditStatus {
  /** Newest checkpoint of any chain, ISO; null when nothing was ever signed. */
  lastCheckpointAt: string | null;
  /** Chains with at least one record / chains whose newest checkpoint was checked. */
  chainsInUse: number;
  chainsSigned: number;
  /** Records on all chains (the heads' positions) and how many no checkpoint covers yet. */
  records: number;
  recordsSinceCheckpoint: number;
  /** Problems found by this quick check; empty when it found nothing wrong. */
  problems: string[];
}

/** Admins (aal2). Reads the checkpoints and chain heads, which only the service identity may read. */
export async function getAuditStatus(session: Session, context: RequestContext = {}, key: Buffer = checkpointKey()): Promise<AuditStatus> {
  requireAdmin(session);
  return asService("the admin audit page shows the latest checkpoint status", async (tx) => {
    const { rows: chains } = await sql<{
      chain_id: number; head_seq: string; cp_seq: string | null; cp_hash: string | null; cp_hmac: string | null;
      cp_created_at: Date | null; record_hash: string | null; record_recomputed: string | null;
    }>`
      select h.chain_id, h.seq::text as head_seq, c.chain_seq::text as cp_seq, c.hash as cp_hash, c.hmac as cp_hmac,
             c.created_at as cp_created_at, a.hash as record_hash,
             case when a.id is null then null else ${sql.raw(RECOMPUTED_HASH_SQL)} end as record_recomputed
        from app.audit_chain_heads h
        left join lateral (
          select k.chain_seq, k.hash, k.hmac, k.created_at from app.audit_checkpoints k
           where k.chain_id = h.chain_id order by k.chain_seq desc, k.id desc limit 1
        ) c on true
        left join public.audit_log a on a.chain_id = h.chain_id and a.chain_seq = c.chain_seq
       order by h.chain_id`.execute(tx);
    const { rows: triggers } = await sql<{ tbl: string; tgname: string; tgenabled: string }>`
      select n.nspname || '.' || c.relname as tbl, t.tgname, t.tgenabled::text as tgenabled
        from pg_trigger t
        join pg_class c on c.oid = t.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
       where not t.tgisinternal and n.nspname in ('public', 'app') and c.relname in ('audit_log', 'audit_checkpoints', 'audit_read_stage')`.execute(tx);
    return summarizeAuditStatus(chains, triggers, key);
  }, context);
}

/** The pure part of getAuditStatus: exported for its unit test. */
export function summarizeAuditStatus(
  chains: ReadonlyArray<{
    chain_id: number; head_seq: string; cp_seq: string | null; cp_hash: string | null; cp_hmac: string | null;
    cp_created_at: Date | null; record_hash: string | null; record_recomputed: string | null;
  }>,
  triggers: ReadonlyArray<{ tbl: string; tgname: string; tgenabled: string }>,
  key: Buffer,
): AuditStatus {
  const problems: string[] = [];
  for (const [table, name] of GUARD_TRIGGERS) {
    const t = triggers.find((x) => x.tbl === table && x.tgname === name);
    if (!t) problems.push(`Trigger ${name} on ${table} is missing.`);
    else if (t.tgenabled !== "O" && t.tgenabled !== "A") problems.push(`Trigger ${name} on ${table} is disabled.`);
  }
  let last: Date | null = null;
  let chainsInUse = 0;
  let chainsSigned = 0;
  let records = 0;
  let uncovered = 0;
  for (const c of chains) {
    const head = Number(c.head_seq);
    if (head > 0) chainsInUse++;
    records += head;
    if (c.cp_seq === null || c.cp_hash === null || c.cp_hmac === null || c.cp_created_at === null) {
      uncovered += head;
      continue;
    }
    chainsSigned++;
    const createdAt = new Date(c.cp_created_at);
    if (!last || createdAt > last) last = createdAt;
    uncovered += Math.max(0, head - Number(c.cp_seq));
    if (!checkpointMacValid(key, { chainId: c.chain_id, chainSeq: c.cp_seq, hash: c.cp_hash, createdAt, hmac: c.cp_hmac })) {
      problems.push(`The newest checkpoint of chain ${c.chain_id} has a signature that does not match.`);
    } else if (c.record_hash === null) {
      problems.push(`The record checkpointed at chain ${c.chain_id} position ${c.cp_seq} is missing.`);
    } else if (c.record_hash !== c.cp_hash || c.record_recomputed !== c.record_hash) {
      problems.push(`The record checkpointed at chain ${c.chain_id} position ${c.cp_seq} has changed.`);
    }
    if (Number(c.cp_seq) > head) problems.push(`Chain ${c.chain_id} ends before its newest checkpoint.`);
  }
  return {
    lastCheckpointAt: last ? last.toISOString() : null,
    chainsInUse,
    chainsSigned,
    records,
    recordsSinceCheckpoint: uncovered,
    problems,
  };
}
