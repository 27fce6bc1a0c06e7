import { becomeService } from "../db/with-user";
import type pg from "pg";
import { AUDIT_TRIGGER_FUNCTIONS, AUDITED_TABLES, CHAIN_COUNT, GENESIS_HASH, GUARD_TRIGGERS, RECOMPUTED_HASH_SQL } from "./chain";
import { checkpointMacValid } from "./checkpoint";
import { drainStagedReads } from "./record";

export interface AuditProblem {
  /** The audit record the problem was found at (null for trigger and head problems). */
  recordId: string | null;
  chainId: number | null;
  chainSeq: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  checkpoints: number;
  problems: AuditProblem[];
  /** The lowest-numbered audit record found broken, if any. */
  firstBrokenRecordId: string | null;
}

interface ChainRow {
  id: string;
  chain_seq: string;
  prev_hash: string;
  hash: string;
  recomputed: string;
}

/**
 * Walks the whole trail with the service identity (service_role): every chain from its first record, every signed checkpoint,
 * and the triggers that keep the trail append-only. Reads in keyset pages, so memory stays
 * flat with millions of records. Finds records altered, removed (anywhere, including the
 * end of a chain when a checkpoint covers it or the head was left alone) and inserted out
 * of band (with the triggers off, or by anyone who is not the chain trigger).
 */
export async function verifyAuditTrail(
  pool: pg.Pool,
  key: Buffer,
  opts: { pageSize?: number; maxProblems?: number } = {},
): Promise<VerifyResult> {
  // Staged read records first, so that the walk covers every record read so far (best
  // effort: on a trail whose chain trigger is off the drain does nothing, and the walk
  // reports the trigger).
  for (let i = 0; i < 100; i++) {
    if ((await drainStagedReads(pool, 10_000).catch(() => 0)) < 10_000) break;
  }
  // One snapshot for the whole walk: heads, records and checkpoints seen at one instant,
  // so that writers committing meanwhile are not mistaken for tampering.
  const client = await pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    await becomeService(client, "audit verification: walk the whole trail");
    const result = await walk(client, key, opts);
    await client.query("commit");
    return result;
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

async function walk(pool: pg.PoolClient, key: Buffer, opts: { pageSize?: number; maxProblems?: number }): Promise<VerifyResult> {
  const pageSize = opts.pageSize ?? 5000;
  const maxProblems = opts.maxProblems ?? 50;
  const problems: AuditProblem[] = [];
  const report = (p: AuditProblem) => {
    if (problems.length < maxProblems) problems.push(p);
  };
  let records = 0;
  let checkpoints = 0;

  // 1. The triggers: present and enabled.
  const { rows: triggers } = await pool.query<{ tbl: string; tgname: string; tgenabled: string; proname: string }>(`
    select n.nspname || '.' || c.relname as tbl, t.tgname, t.tgenabled::text as tgenabled, p.proname
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_proc p on p.oid = t.tgfoid
     where not t.tgisinternal`);
  const enabled = (t: { tgenabled: string }) => t.tgenabled === "O" || t.tgenabled === "A";
  for (const [table, name] of GUARD_TRIGGERS) {
    const t = triggers.find((x) => x.tbl === table && x.tgname === name);
    if (!t || !enabled(t)) {
      report({ recordId: null, chainId: null, chainSeq: null, reason: `trigger ${name} on ${table} is ${t ? "disabled" : "missing"}` });
    }
  }
  for (const table of AUDITED_TABLES) {
    const mine = triggers.filter((x) => x.tbl === `public.${table}` && AUDIT_TRIGGER_FUNCTIONS.includes(x.proname));
    if (mine.length === 0) report({ recordId: null, chainId: null, chainSeq: null, reason: `public.${table} has no audit trigger` });
    for (const t of mine.filter((x) => !enabled(x))) {
      report({ recordId: null, chainId: null, chainSeq: null, reason: `audit trigger ${t.tgname} on public.${table} is disabled` });
    }
  }

  // 2. Records outside every chain.
  const { rows: stray } = await pool.query<{ id: string; chain_id: number }>(
    `select id::text as id, chain_id from public.audit_log where chain_id not between 0 and $1 order by id limit 10`,
    [CHAIN_COUNT - 1],
  );
  for (const r of stray) {
    report({ recordId: r.id, chainId: r.chain_id, chainSeq: null, reason: `record ${r.id} is on no chain (inserted out of band)` });
  }

  // 3. Each chain, in order.
  const { rows: heads } = await pool.query<{ chain_id: number; seq: string; hash: string }>(
    "select chain_id, seq::text as seq, hash from app.audit_chain_heads order by chain_id",
  );
  const headOf = new Map(heads.map((h) => [h.chain_id, h]));
  for (let chain = 0; chain < CHAIN_COUNT; chain++) {
    let expected = 1n;
    let prevHash = GENESIS_HASH;
    let after = "0";
    for (;;) {
      const { rows } = await pool.query<ChainRow>(
        `select a.id::text as id, a.chain_seq::text as chain_seq, a.prev_hash, a.hash, ${RECOMPUTED_HASH_SQL} as recomputed
           from public.audit_log a
          where a.chain_id = $1 and a.chain_seq > $2
          order by a.chain_seq
          limit $3`,
        [chain, after, pageSize],
      );
      for (const r of rows) {
        records++;
        const seq = BigInt(r.chain_seq);
        if (seq !== expected) {
          report({
            recordId: r.id, chainId: chain, chainSeq: r.chain_seq,
            reason: seq > expected
              ? `chain ${chain}: record(s) at position ${expected}${seq - 1n > expected ? `–${seq - 1n}` : ""} missing before record ${r.id} (removed)`
              : `chain ${chain}: record ${r.id} repeats position ${seq}`,
          });
        } else if (r.prev_hash !== prevHash) {
          report({ recordId: r.id, chainId: chain, chainSeq: r.chain_seq, reason: `chain ${chain}: record ${r.id} does not link to the record before it (altered, removed or inserted out of band)` });
        }
        if (r.recomputed !== r.hash) {
          report({ recordId: r.id, chainId: chain, chainSeq: r.chain_seq, reason: `record ${r.id} does not match its hash (altered)` });
        }
        expected = seq + 1n;
        prevHash = r.hash;
        after = r.chain_seq;
      }
      if (rows.length < pageSize) break;
    }
    const head = headOf.get(chain);
    const lastSeq = (expected - 1n).toString();
    if (!head) {
      report({ recordId: null, chainId: chain, chainSeq: null, reason: `chain ${chain} has no head row` });
    } else if (head.seq !== lastSeq || head.hash !== prevHash) {
      report({
        recordId: null, chainId: chain, chainSeq: head.seq,
        reason: BigInt(head.seq) > expected - 1n
          ? `chain ${chain}: the head is at position ${head.seq} but the records end at ${lastSeq} (records removed from the end)`
          : `chain ${chain}: the head (position ${head.seq}) does not match the last record (position ${lastSeq}; records altered or inserted out of band)`,
      });
    }
  }

  // 4. Signed checkpoints: genuine, and still matching the records they cover.
  let afterCp = "0";
  for (;;) {
    const { rows } = await pool.query<{
      id: string; created_at: Date; chain_id: number; chain_seq: string; hash: string; hmac: string; record_id: string | null; record_hash: string | null;
    }>(
      `select c.id::text as id, c.created_at, c.chain_id, c.chain_seq::text as chain_seq, c.hash, c.hmac,
              a.id::text as record_id, a.hash as record_hash
         from app.audit_checkpoints c
         left join public.audit_log a on a.chain_id = c.chain_id and a.chain_seq = c.chain_seq
        where c.id > $1
        order by c.id
        limit $2`,
      [afterCp, pageSize],
    );
    for (const c of rows) {
      checkpoints++;
      const genuine = checkpointMacValid(key, { chainId: c.chain_id, chainSeq: c.chain_seq, hash: c.hash, createdAt: c.created_at, hmac: c.hmac });
      if (!genuine) {
        report({ recordId: c.record_id, chainId: c.chain_id, chainSeq: c.chain_seq, reason: `checkpoint ${c.id} has an invalid signature (forged, or CAREBASE_SECRET differs)` });
      } else if (c.record_id === null) {
        report({ recordId: null, chainId: c.chain_id, chainSeq: c.chain_seq, reason: `chain ${c.chain_id}: the record at position ${c.chain_seq}, signed by checkpoint ${c.id}, is missing (removed)` });
      } else if (c.record_hash !== c.hash) {
        report({ recordId: c.record_id, chainId: c.chain_id, chainSeq: c.chain_seq, reason: `record ${c.record_id} differs from what checkpoint ${c.id} signed (rewritten)` });
      }
      afterCp = c.id;
    }
    if (rows.length < pageSize) break;
  }

  const broken = problems.filter((p) => p.recordId !== null).map((p) => BigInt(p.recordId!));
  const first = broken.length ? broken.reduce((a, b) => (b < a ? b : a)).toString() : null;
  return { ok: problems.length === 0, records, checkpoints, problems, firstBrokenRecordId: first };
}

/** The verifier's report, for people: a verdict line first, then each problem. */
export function formatVerifyResult(r: VerifyResult): string {
  if (r.ok) return `audit trail intact: ${r.records} records on their chains, ${r.checkpoints} signed checkpoints match.`;
  const lines = [
    `AUDIT TRAIL BROKEN: ${r.problems.length} problem(s) in ${r.records} records and ${r.checkpoints} checkpoints.` +
      (r.firstBrokenRecordId ? ` First broken record: id ${r.firstBrokenRecordId}.` : ""),
    ...r.problems.map((p) => `  - ${p.reason}`),
  ];
  return lines.join("\n");
}
