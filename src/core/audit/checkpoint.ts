import { becomeService } from "../db/with-user";
import { createHmac, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import { deriveKey } from "../config";
import { drainStagedReads } from "./record";

/**
 * Signed checkpoints of the audit chain heads. The key is derived from CAREBASE_SECRET and
 * never stored in the database, so nobody with only database access (a superuser
 * included) can forge one: a record covered by a checkpoint cannot be removed or
 * rewritten without audit:verify noticing.
 */
export function checkpointKey(): Buffer {
  return deriveKey("audit-checkpoint");
}

export function checkpointMac(key: Buffer, cp: { chainId: number; chainSeq: string; hash: string; createdAt: Date }): string {
  return createHmac("sha256", key)
    .update(`carebase-audit-checkpoint:v1:${cp.chainId}:${cp.chainSeq}:${cp.hash}:${cp.createdAt.toISOString()}`)
    .digest("hex");
}

export function checkpointMacValid(key: Buffer, cp: { chainId: number; chainSeq: string; hash: string; createdAt: Date; hmac: string }): boolean {
  const expected = Buffer.from(checkpointMac(key, cp), "hex");
  const given = Buffer.from(cp.hmac, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Signs every chain head that moved since its last checkpoint. Runs as the service
 * identity (service_role). Returns how many were written.
 * The server calls it periodically (startAuditCheckpoints); audit:verify --checkpoint too.
 */
export async function writeCheckpoints(pool: pg.Pool, key: Buffer = checkpointKey()): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await becomeService(client, "audit checkpoints: sign the chain heads");
    // Read committed heads without waiting for writers that hold a chain right now.
    const { rows } = await client.query<{ chain_id: number; seq: string; hash: string; last_seq: string | null }>(`
      select h.chain_id, h.seq::text as seq, h.hash,
             (select max(c.chain_seq)::text from app.audit_checkpoints c where c.chain_id = h.chain_id) as last_seq
        from app.audit_chain_heads h
       where h.seq > 0
       order by h.chain_id`);
    const createdAt = new Date(Math.floor(Date.now()));
    let written = 0;
    for (const r of rows) {
      if (r.last_seq !== null && r.last_seq === r.seq) continue;
      const hmac = checkpointMac(key, { chainId: r.chain_id, chainSeq: r.seq, hash: r.hash, createdAt });
      await client.query(
        "insert into app.audit_checkpoints (created_at, chain_id, chain_seq, hash, hmac) values ($1, $2, $3, $4, $5)",
        [createdAt, r.chain_id, r.seq, r.hash, hmac],
      );
      written++;
    }
    await client.query("commit");
    return written;
  } catch (e) {
    await client.query("rollback");
    throw e;
  } finally {
    client.release();
  }
}

export interface AuditJobOptions {
  /** How often staged read records are moved onto the chains (default 1 s). */
  drainMs?: number;
  /** After a drain that moved records, sign the heads once this long has passed since the last signing (default 5 s). */
  sealMs?: number;
}

/**
 * The audit service job: every `drainMs` it moves staged read records onto the hash chains
 * (drainStagedReads), and signs the chain heads (writeCheckpoints) once `sealMs` has passed
 * since the last signing if a drain moved records, and at least every `intervalMs`
 * otherwise (writes are chained at once, so they only need the signing). A read record is
 * therefore on a chain within about `drainMs` and under a signed checkpoint within about
 * `drainMs + sealMs` (docs/audit.md). Runs until the returned stop function is called.
 */
export function startAuditCheckpoints(
  pool: pg.Pool,
  intervalMs = 60_000,
  onError: (e: unknown) => void = () => {},
  opts: AuditJobOptions = {},
): () => Promise<void> {
  const key = checkpointKey();
  const drainMs = opts.drainMs ?? 1_000;
  const sealMs = opts.sealMs ?? 5_000;
  const batch = 10_000;
  let running = false;
  let lastSigned = Date.now();
  let unsealed = false;
  const tick = async () => {
    let moved = 0;
    // a backlog (the job was stopped a while) drains in batches, a few per tick
    for (let i = 0; i < 5; i++) {
      const n = await drainStagedReads(pool, batch);
      moved += n;
      if (n < batch) break;
    }
    if (moved > 0) unsealed = true;
    const since = Date.now() - lastSigned;
    if ((unsealed && since >= sealMs) || since >= intervalMs) {
      await writeCheckpoints(pool, key);
      lastSigned = Date.now();
      unsealed = false;
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, Math.min(drainMs, intervalMs));
  timer.unref();
  /** Stop, then move what is still staged onto the chains and sign the heads once (shutdown). */
  return async () => {
    clearInterval(timer);
    while (running) await new Promise((r) => setTimeout(r, 10));
    try {
      while ((await drainStagedReads(pool, batch)) === batch);
      await writeCheckpoints(pool, key);
    } catch (e) {
      onError(e);
    }
  };
}
