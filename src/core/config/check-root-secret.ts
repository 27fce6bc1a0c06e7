import type pg from "pg";
import { checkpointKey, checkpointMacValid } from "../audit/checkpoint";
import { becomeService } from "../db/with-user";
import { loadStorageConfig } from "../storage/config";
import {
  KEY_CHECK_FILE,
  loadConfig,
  missingSecretError,
  readKeyCheckFile,
  rootSecretKeyCheck,
  RootSecretError,
  withdrawGeneratedSecret,
  wrongSecretMessage,
  writeKeyCheckFile,
  type Config,
} from "./index";

export interface CheckRootSecretOptions {
  config?: Config;
  /**
   * Whether DATA_DIR holds data under the secret (the embedded database or the local object
   * driver): then the key check is kept there. Default: from the configuration.
   */
  usesDataDir?: boolean;
  /** Record the key check in DATA_DIR when it is not there yet (start-up). Default true; false for tools that only read. */
  record?: boolean;
}

/**
 * Start-up: is the root secret the one this installation's data was written with? A wrong
 * secret otherwise shows only later and piecemeal (documents answer 500, two-factor sign-in
 * answers 500, every checkpoint looks forged). Two witnesses, either of which stops start-up
 * with one RootSecretError (and a secret this process has just generated is withdrawn):
 * - DATA_DIR/secret.check, the key check written at the first start (embedded database or
 *   local object store);
 * - the newest signed audit checkpoint in the database (HMAC under a key derived from the
 *   secret), which every instance sharing a PostgreSQL database sees.
 * Then records the key check in DATA_DIR if it was not there yet.
 */
export async function checkRootSecret(pool: Pick<pg.Pool, "connect">, opts: CheckRootSecretOptions = {}): Promise<void> {
  const config = opts.config ?? loadConfig();
  const usesDataDir = opts.usesDataDir ?? (!config.databaseUrl || loadStorageConfig().driver === "local");
  const check = rootSecretKeyCheck(config);
  const stored = readKeyCheckFile(config.dataDir);
  if (stored !== undefined && stored !== check) throw new RootSecretError(wrongSecretMessage(`the data in ${config.dataDir} (its ${KEY_CHECK_FILE})`));

  const newest = await newestCheckpoint(pool);
  if (newest && !checkpointMacValid(checkpointKey(), newest)) {
    // DATA_DIR/secret was missing and this process generated one (a DATA_DIR from before
    // key checks): withdraw it, so that the next start says the same, and say what is missing
    if (withdrawGeneratedSecret(config)) throw missingSecretError(config.dataDir);
    throw new RootSecretError(
      `${wrongSecretMessage("this database")} (Its newest signed audit checkpoint does not verify under this secret. ` +
        `If the secret is certainly right, that checkpoint was forged: run npm run audit:verify.)`,
    );
  }
  if (stored === undefined && usesDataDir && opts.record !== false) writeKeyCheckFile(config.dataDir, check);
}

async function newestCheckpoint(pool: Pick<pg.Pool, "connect">) {
  const client = await pool.connect();
  try {
    await client.query("begin read only");
    await becomeService(client, "start-up: check the root secret against the newest audit checkpoint");
    const { rows } = await client.query<{ created_at: Date; chain_id: number; chain_seq: string; hash: string; hmac: string }>(
      "select created_at, chain_id, chain_seq::text as chain_seq, hash, hmac from app.audit_checkpoints order by id desc limit 1",
    );
    await client.query("commit");
    const r = rows[0];
    return r ? { createdAt: r.created_at, chainId: r.chain_id, chainSeq: r.chain_seq, hash: r.hash, hmac: r.hmac } : undefined;
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
