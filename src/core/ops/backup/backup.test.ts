/**
 * The backup's own guarantees, in process (the scripts' round trip is tests/ops/backup-restore.test.ts):
 * - the control socket answers only its owner's user (0600) holding the root secret, once per nonce;
 * - a backup opens only under its secret, and a damaged or truncated one restores nothing
 *   (the objects written so far are removed, no row is committed);
 * - a restore refuses a target that holds data.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type Engine, type TestDatabase } from "../../../../tests/support/db";
import { addToCareTeam, createPatient, createUser } from "../../../../tests/support/seed";
import { createEmptyPgDatabase } from "../../../../tests/ops/support";
import { openDatabase, type Database } from "../../db/engine";
import { LocalObjectStore } from "../../storage/local-store";
import { uploadDocument } from "../../storage/upload-document";
import { BackupFormatError, readHeader } from "./backup-format";
import { controlAuthorization, controlSocketPath, requestBackupFromServer, startControlSocket } from "./control-socket";
import { restoreBackup, RestoreRefusedError, type OpenedBackup, type RestoreTarget } from "./restore-backup";
import { countApplicationRelations } from "./database-catalog";

const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), `cb-${name}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function post(socketPath: string, urlPath: string, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: "POST", path: urlPath, headers: authorization ? { authorization } : {} }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    req.end();
  });
}

async function open(bytes: Buffer): Promise<OpenedBackup> {
  const source = Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)].filter((b) => b.length))[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return { ...(await readHeader(source)), source };
}

/** An empty target of this engine: a new database (not migrated) and an empty local store. */
async function emptyTarget(engine: Engine): Promise<RestoreTarget & { close(): Promise<void> }> {
  const store = new LocalObjectStore(path.join(tempDir("target"), "objects"));
  if (engine === "pglite") {
    const db = await openDatabase({ pgliteDir: "memory://" });
    return { db, store, close: () => db.close() };
  }
  const empty = await createEmptyPgDatabase("carebase_bt");
  const db = await openDatabase({ url: empty.url, poolMax: 2 });
  return {
    db,
    store,
    close: async () => {
      await db.close();
      await empty.drop();
    },
  };
}

async function keys(store: LocalObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list()) out.push(o.key);
  return out;
}

async function relations(db: Database): Promise<number> {
  const c = await db.pool.connect();
  try {
    return await countApplicationRelations(c);
  } finally {
    c.release();
  }
}

describe.each(engines)("backup and restore guarantees on %s", (engine) => {
  let t: TestDatabase;
  let store: LocalObjectStore;
  let dataDir: string;
  let backup: Buffer;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    dataDir = tempDir("src");
    store = new LocalObjectStore(path.join(dataDir, "objects"));
    const provider = await createUser("provider");
    const patientId = await createPatient({ createdBy: provider.id });
    await addToCareTeam(patientId, provider.id, "attending");
    const boundary = "----bt";
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`),
      randomBytes(1_500_000),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await uploadDocument(provider.session, patientId, { contentType: `multipart/form-data; boundary=${boundary}`, contentLength: body.length, body: Readable.from([body]) }, {}, { store });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("the control socket is 0600 and answers only a request signed with the root secret, once", async () => {
    const stop = await startControlSocket(t.db, { dataDir, store: () => store });
    try {
      const socket = controlSocketPath(dataDir);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      expect(await post(socket, "/v1/backup")).toBe(401);
      const forged = controlAuthorization("POST", "/v1/backup").replace(/[0-9a-f]{64}$/, "0".repeat(64));
      expect(await post(socket, "/v1/backup", forged)).toBe(401);
      const stale = controlAuthorization("POST", "/v1/backup", Date.now() - 10 * 60_000);
      expect(await post(socket, "/v1/backup", stale)).toBe(401);
      const otherPath = controlAuthorization("POST", "/v1/other");
      expect(await post(socket, "/v1/backup", otherPath)).toBe(401);
      const signed = controlAuthorization("POST", "/v1/backup");
      expect(await post(socket, "/v1/backup", signed)).toBe(200);
      expect(await post(socket, "/v1/backup", signed)).toBe(401); // a nonce is good once

      const parts: Buffer[] = [];
      const phases = new Set<string>();
      const summary = await requestBackupFromServer(dataDir, async (b) => void parts.push(Buffer.from(b)), (p) => phases.add(p.phase));
      backup = Buffer.concat(parts);
      expect(summary.objects).toBe(1);
      expect(summary.bytes).toBe(backup.length);
      expect(phases.has("done")).toBe(true);
    } finally {
      await stop();
    }
  });

  it("refuses a backup made under another secret before writing anything", async () => {
    const target = await emptyTarget(engine);
    try {
      const header = backup.indexOf(0x0a, backup.indexOf(0x0a) + 1) + 1;
      const text = backup.subarray(0, header).toString().replace(/"key_check":"v1:[0-9a-f]{64}"/, `"key_check":"v1:${"ab".repeat(32)}"`);
      const altered = Buffer.concat([Buffer.from(text), backup.subarray(header)]);
      await expect(restoreBackup(await open(altered), target)).rejects.toThrow(RestoreRefusedError);
      await expect(restoreBackup(await open(altered), target)).rejects.toThrow(/made under a different root secret/);
      expect(await relations(target.db)).toBe(0);
      expect(await keys(target.store as LocalObjectStore)).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it.each([
    ["one flipped byte in the body", (b: Buffer) => {
      const c = Buffer.from(b);
      c[Math.floor(c.length / 2)] ^= 0x01;
      return c;
    }, /damaged/],
    ["a truncated body", (b: Buffer) => b.subarray(0, b.length - 40), /truncated/],
  ])("restores nothing from a backup with %s", async (_what, damage, message) => {
    const target = await emptyTarget(engine);
    try {
      const error = await restoreBackup(await open(damage(backup)), target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupFormatError);
      expect((error as Error).message).toMatch(message);
      expect(await keys(target.store as LocalObjectStore)).toEqual([]); // objects written before the damage are gone
      const c = await target.db.pool.connect();
      try {
        // no row was committed (the schema may be there: the migrations ran before the rows)
        const { rows } = await c.query<{ n: number }>("select count(*)::int as n from pg_class where relname = 'audit_log'");
        if (rows[0].n) {
          await c.query("begin");
          await c.query("set local role service_role");
          expect((await c.query<{ n: number }>("select count(*)::int as n from public.audit_log")).rows[0].n).toBe(0);
          expect((await c.query<{ n: number }>("select count(*)::int as n from auth.users")).rows[0].n).toBe(0);
          await c.query("rollback");
        }
      } finally {
        c.release();
      }
    } finally {
      await target.close();
    }
  });

  it("restores into an empty target, then refuses the same target (it holds data)", async () => {
    const target = await emptyTarget(engine);
    try {
      const summary = await restoreBackup(await open(backup), target);
      expect(summary.audit.ok).toBe(true);
      expect(summary.documents).toBe(1);
      expect(await keys(target.store as LocalObjectStore)).toHaveLength(1);
      await expect(restoreBackup(await open(backup), target)).rejects.toThrow(/already holds Carebase tables/);
      // an empty database beside a store that holds objects is refused too
      const other = await emptyTarget(engine);
      try {
        await expect(restoreBackup(await open(backup), { db: other.db, store: target.store })).rejects.toThrow(/object store already holds objects/);
      } finally {
        await other.close();
      }
    } finally {
      await target.close();
    }
  });
});
