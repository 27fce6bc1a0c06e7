/**
 * The minted TURN credentials against a real coturn (issue #22): a turnserver started here
 * with a temporary configuration (use-auth-secret, our secret, a free port on loopback) must
 * grant a TURN allocation to a credential from mintTurnCredential, and refuse an expired one
 * and one signed with another secret. The TURN client is a few lines of RFC 5766 below, so
 * the check does not trust our own code on both sides. Skipped, saying so, without coturn.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintTurnCredential } from "@/core/telehealth/ice-servers";

const TURNSERVER = "/usr/bin/turnserver";
const hasTurn = existsSync(TURNSERVER);
if (!hasTurn) console.warn(`\n[telehealth] SKIPPED the coturn test: ${TURNSERVER} not found (apt-get install -y coturn).\n`);

const REALM = "carebase.test";
const SECRET = randomBytes(16).toString("hex");
const MAGIC = 0x2112a442;

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/** An Allocate request (UDP relay), with long-term credentials when given. */
function allocate(auth?: { username: string; password: string; nonce: Buffer }): Buffer {
  const tid = randomBytes(12);
  const attrs = [attr(0x0019, Buffer.from([17, 0, 0, 0]))];
  if (auth) attrs.push(attr(0x0006, Buffer.from(auth.username)), attr(0x0014, Buffer.from(REALM)), attr(0x0015, auth.nonce));
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0003, 0);
  header.writeUInt32BE(MAGIC, 4);
  tid.copy(header, 8);
  if (!auth) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  header.writeUInt16BE(body.length + 24, 2); // the length counts MESSAGE-INTEGRITY
  const key = createHash("md5").update(`${auth.username}:${REALM}:${auth.password}`).digest();
  const mac = createHmac("sha1", key).update(Buffer.concat([header, body])).digest();
  return Buffer.concat([header, body, attr(0x0008, mac)]);
}

interface Answer {
  type: number;
  error?: number;
  nonce?: Buffer;
}

function parse(msg: Buffer): Answer {
  const out: Answer = { type: msg.readUInt16BE(0) };
  let i = 20;
  while (i + 4 <= msg.length) {
    const t = msg.readUInt16BE(i);
    const len = msg.readUInt16BE(i + 2);
    const v = msg.subarray(i + 4, i + 4 + len);
    if (t === 0x0009) out.error = v[2] * 100 + v[3];
    if (t === 0x0015) out.nonce = Buffer.from(v);
    i += 4 + len + ((4 - (len % 4)) % 4);
  }
  return out;
}

/** Sends requests from one UDP socket (coturn ties a nonce to the client's address and port). */
async function withSocket<T>(fn: (send: (req: Buffer, ms?: number) => Promise<Answer | null>) => Promise<T>, port: () => number): Promise<T> {
  const sock = createSocket("udp4");
  let waiting: ((a: Answer | null) => void) | null = null;
  sock.on("message", (m) => waiting?.(parse(m)));
  const send = (req: Buffer, ms = 1_000) =>
    new Promise<Answer | null>((resolve) => {
      const t = setTimeout(() => resolve(null), ms);
      waiting = (a) => {
        clearTimeout(t);
        resolve(a);
      };
      sock.send(req, port(), "127.0.0.1");
    });
  try {
    return await fn(send);
  } finally {
    sock.close();
  }
}

let turnPort = 0;
const exchange = (req: Buffer, ms?: number) => withSocket((send) => send(req, ms), () => turnPort);

/** Allocate with a credential: the 401 challenge first (realm, nonce), then the signed request, from one socket. */
async function tryAllocate(username: string, password: string): Promise<Answer> {
  return withSocket(async (send) => {
    const challenge = await send(allocate());
    expect(challenge?.error).toBe(401);
    const answer = await send(allocate({ username, password, nonce: challenge!.nonce! }));
    expect(answer).not.toBeNull();
    return answer!;
  }, () => turnPort);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

describe.skipIf(!hasTurn)("TURN REST credentials against coturn (turnserver)", () => {
  let dir: string;
  let proc: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "carebase-turn-"));
    const port = (turnPort = await freePort());
    const conf = path.join(dir, "turnserver.conf");
    writeFileSync(
      conf,
      [
        `listening-port=${port}`, "listening-ip=127.0.0.1", "relay-ip=127.0.0.1", "min-port=49152", "max-port=65535",
        "use-auth-secret", `static-auth-secret=${SECRET}`, `realm=${REALM}`, "fingerprint",
        "no-tls", "no-dtls", "no-cli", "no-multicast-peers", `userdb=${path.join(dir, "turndb")}`,
        `log-file=${path.join(dir, "turn.log")}`, "simple-log", "no-stdout-log", `pidfile=${path.join(dir, "turn.pid")}`,
      ].join("\n") + "\n",
    );
    proc = spawn(TURNSERVER, ["-c", conf], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await exchange(allocate(), 300))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`turnserver did not answer on ${port} (exit ${proc.exitCode})`);
    }
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("grants an allocation to a freshly minted credential", async () => {
    const c = mintTurnCredential(SECRET, "0b7c9a5e-8f61-4c1e-b2a4-5d2e6f7a8b9c", 600);
    const answer = await tryAllocate(c.username, c.credential);
    expect(answer.error).toBeUndefined();
    expect(answer.type).toBe(0x0103); // Allocate success response
  });

  it("refuses an expired credential and one signed with another secret", async () => {
    const expired = mintTurnCredential(SECRET, "user-expired", 60, new Date(Date.now() - 3_600_000));
    expect((await tryAllocate(expired.username, expired.credential)).error).toBe(401);
    const forged = mintTurnCredential("not-the-secret", "user-forged", 600);
    expect((await tryAllocate(forged.username, forged.credential)).error).toBe(401);
  });
});
