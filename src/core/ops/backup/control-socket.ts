import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { deriveKey } from "../../config";
import type { Database } from "../../db/engine";
import { log } from "../../log";
import { objectStore } from "../../storage";
import type { ObjectStore } from "../../storage/object-store";
import { writeBackup, type BackupProgress, type BackupSink, type BackupSummary } from "./write-backup";

/**
 * The embedded database belongs to the server process (DATA_DIR/db.lock), so a backup of it
 * while it runs has to be made by that process. It listens on a Unix socket in DATA_DIR:
 *
 * - reachable only by the OS user that owns DATA_DIR: the socket is 0600 in a 0700
 *   directory (no TCP port, nothing for the network);
 * - and every request carries an HMAC, under a key derived from the root secret, of its
 *   method, path, time (±60 s) and a nonce used once: holding the socket's path is not
 *   enough, the caller must hold the secret too (which `npm run backup` reads as the
 *   server does).
 *
 * `POST /v1/backup` answers with a stream of frames: type (1 byte) | length (u32 BE) |
 * payload, where `b` carries backup bytes, `p` progress (JSON), `z` the summary (JSON,
 * last), `e` an error (JSON {message}, last). One backup at a time (409 otherwise).
 */
export const CONTROL_SOCKET_FILE = "control.sock";
const BACKUP_PATH = "/v1/backup";
const AUTH_WINDOW_S = 60;
/** Unix socket paths are limited to 107 bytes on Linux (104 on macOS). */
const MAX_SOCKET_PATH = 103;

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, CONTROL_SOCKET_FILE);
}

export class ControlSocketUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ControlSocketUnavailableError";
  }
}

function mac(ts: number, nonce: string, method: string, urlPath: string): Buffer {
  return createHmac("sha256", deriveKey("control-socket")).update(`carebase-control:v1:${ts}:${nonce}:${method} ${urlPath}`).digest();
}

/** The Authorization header of a control request. */
export function controlAuthorization(method: string, urlPath: string, now = Date.now()): string {
  const ts = Math.floor(now / 1000);
  const nonce = randomBytes(16).toString("hex");
  return `CarebaseControl v1 ${ts} ${nonce} ${mac(ts, nonce, method, urlPath).toString("hex")}`;
}

/** Checks a control request's Authorization header; each nonce is accepted once. */
export function controlAuthorizationValid(header: string | undefined, method: string, urlPath: string, seen: Map<string, number>, now = Date.now()): boolean {
  const m = /^CarebaseControl v1 (\d{1,12}) ([0-9a-f]{32}) ([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return false;
  const ts = Number(m[1]);
  const nowS = Math.floor(now / 1000);
  if (Math.abs(nowS - ts) > AUTH_WINDOW_S) return false;
  const given = Buffer.from(m[3], "hex");
  if (!timingSafeEqual(given, mac(ts, m[2], method, urlPath))) return false;
  for (const [nonce, expires] of seen) if (expires < nowS) seen.delete(nonce);
  if (seen.has(m[2])) return false;
  seen.set(m[2], ts + AUTH_WINDOW_S);
  return true;
}

function muxFrame(type: "b" | "p" | "z" | "e", payload: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head.write(type, 0, "ascii");
  head.writeUInt32BE(payload.length, 1);
  return [head, payload];
}

export interface ControlSocketOptions {
  dataDir: string;
  /** Default: the process's object store. */
  store?: () => ObjectStore;
}

/**
 * Starts the control socket (embedded engine only: with PostgreSQL, `npm run backup`
 * connects to the database itself). Never throws: a socket that cannot be opened is
 * logged, and `npm run backup` then says why it cannot reach the server. Returns a stop
 * function (also run at process exit, so that a stopped server leaves no socket file).
 */
export async function startControlSocket(db: Database, opts: ControlSocketOptions): Promise<() => Promise<void>> {
  const file = controlSocketPath(opts.dataDir);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    log.warn({ bytes: Buffer.byteLength(file) }, "control socket not started: DATA_DIR's path is too long for a Unix socket; npm run backup needs the server stopped");
    return async () => {};
  }
  // DATA_DIR's lock is ours: a socket file left by a killed server is stale
  if (existsSync(file)) unlinkSync(file);
  const seen = new Map<string, number>();
  let busy = false;
  let running: Promise<void> | undefined;
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || req.url !== BACKUP_PATH) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "Not found." } }));
      return;
    }
    if (!controlAuthorizationValid(req.headers.authorization, "POST", BACKUP_PATH, seen)) {
      log.warn("control socket: a request without a valid authorization was refused");
      res.writeHead(401, { "content-type": "application/json" }).end(
        JSON.stringify({ error: { message: "Not authorised: npm run backup must run with the server's root secret (DATA_DIR/secret or CAREBASE_SECRET)." } }),
      );
      return;
    }
    if (busy) {
      res.writeHead(409, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "Another backup is running." } }));
      return;
    }
    busy = true;
    running = serveBackup(db, (opts.store ?? objectStore)(), res).finally(() => {
      busy = false;
      running = undefined;
    });
  });
  const removeFile = () => {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(file, () => {
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(file, 0o600);
  } catch (e) {
    log.warn({ err: (e as Error).message }, "control socket not started; npm run backup needs the server stopped");
    return async () => {};
  }
  server.on("error", (e) => log.warn({ err: e.message }, "control socket error"));
  server.unref();
  process.once("exit", removeFile);
  log.info("control socket listening (npm run backup)");
  return async () => {
    process.off("exit", removeFile);
    // a backup in progress loses its client, stops at its next write and rolls back, before
    // the database closes
    server.closeAllConnections();
    await running;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    removeFile();
  };
}

async function serveBackup(db: Database, store: ObjectStore, res: http.ServerResponse): Promise<void> {
  const controller = new AbortController();
  const closed = new Promise<never>((_, reject) => {
    res.once("close", () => {
      if (!res.writableFinished) {
        controller.abort();
        reject(new Error("The backup's client went away."));
      }
    });
  });
  closed.catch(() => undefined);
  const send = async (pieces: Buffer[]) => {
    if (res.destroyed) throw new Error("The backup's client went away.");
    let ok = true;
    for (const p of pieces) ok = res.write(p) && ok;
    if (!ok) await Promise.race([once(res, "drain"), closed]);
  };
  res.writeHead(200, { "content-type": "application/octet-stream", "cache-control": "no-store" });
  let lastProgress = 0;
  const sink: BackupSink = (chunk) => send(muxFrame("b", chunk));
  const onProgress = (p: BackupProgress) => {
    const now = Date.now();
    if (p.phase !== "done" && now - lastProgress < 250) return;
    lastProgress = now;
    if (!res.destroyed) res.write(Buffer.concat(muxFrame("p", Buffer.from(JSON.stringify(p)))));
  };
  const started = Date.now();
  try {
    const summary = await writeBackup(db, store, sink, { onProgress, signal: controller.signal });
    await send(muxFrame("z", Buffer.from(JSON.stringify(summary))));
    res.end();
    log.info({ backupId: summary.id, objects: summary.objects, rows: summary.rows, bytes: summary.bytes, ms: Date.now() - started }, "backup written through the control socket");
  } catch (e) {
    log.error({ err: (e as Error).name, message: (e as Error).message }, "backup through the control socket failed");
    if (!res.destroyed) res.end(Buffer.concat(muxFrame("e", Buffer.from(JSON.stringify({ message: (e as Error).message })))));
  }
}

function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/**
 * `npm run backup` on the embedded engine: asks the server that holds DATA_DIR for a
 * backup and passes its bytes to `sink`. Rejects with ControlSocketUnavailableError when
 * no server answers on the socket.
 */
export async function requestBackupFromServer(dataDir: string, sink: BackupSink, onProgress?: (p: BackupProgress) => void): Promise<BackupSummary> {
  const socketPath = controlSocketPath(dataDir);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ socketPath, method: "POST", path: BACKUP_PATH, headers: { authorization: controlAuthorization("POST", BACKUP_PATH) } }, resolve);
    req.on("error", (e: NodeJS.ErrnoException) => {
      reject(
        e.code === "ENOENT" || e.code === "ECONNREFUSED"
          ? new ControlSocketUnavailableError(`No Carebase server answers on ${socketPath}.`)
          : e,
      );
    });
    req.end();
  });
  if (res.statusCode !== 200) {
    let body = "";
    for await (const c of res) body += c;
    let message = `The server refused the backup (HTTP ${res.statusCode}).`;
    try {
      message = (JSON.parse(body) as { error: { message: string } }).error.message;
    } catch {
      /* not JSON */
    }
    throw new Error(message);
  }
  // frames arrive in pieces: keep them in a list, join only what one frame needs
  let pieces: Buffer[] = [];
  let pendingBytes = 0;
  let summary: BackupSummary | undefined;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    pieces.push(chunk);
    pendingBytes += chunk.length;
    for (;;) {
      if (pendingBytes < 5) break;
      if (pieces[0].length < 5) pieces = [Buffer.concat(pieces)];
      const length = pieces[0].readUInt32BE(1);
      if (pendingBytes < 5 + length) break;
      const joined = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
      const type = String.fromCharCode(joined[0]);
      const payload = joined.subarray(5, 5 + length);
      const rest = joined.subarray(5 + length);
      pieces = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      if (type === "b") await sink(payload);
      else if (type === "p") onProgress?.(JSON.parse(payload.toString("utf8")) as BackupProgress);
      else if (type === "z") summary = JSON.parse(payload.toString("utf8")) as BackupSummary;
      else if (type === "e") throw new Error((JSON.parse(payload.toString("utf8")) as { message: string }).message);
      else throw new Error("The server's answer is garbled.");
    }
  }
  if (!summary || pendingBytes) throw new Error("The server stopped before the backup was complete.");
  return summary;
}
