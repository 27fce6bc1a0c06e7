import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import WebSocket from "ws";
import { sql } from "kysely";
import type { Database } from "@/core/db/engine";
import { RealtimeHub, type HubOptions } from "@/core/realtime/hub";
import { serviceQuery } from "../support/seed";

/** A plain node:http server carrying one hub's upgrade handler (no Next needed). */
export interface TestInstance {
  hub: RealtimeHub;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export async function startInstance(db: Database, options: HubOptions = {}): Promise<TestInstance> {
  const hub = new RealtimeHub(db, options);
  await hub.start();
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    if (req.url?.startsWith("/realtime/v1")) hub.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    server,
    url: `ws://127.0.0.1:${port}/realtime/v1`,
    stop: async () => {
      await hub.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Frame {
  type: string;
  topic?: string;
  code?: string;
  event?: string;
  table?: string;
  event_id?: number;
  last_event_id?: number;
  record?: Record<string, unknown>;
}

/** A test client that keeps every frame it receives. */
export class Client {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on("error", () => {});
  }

  static async connect(url: string, token: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`, { headers });
    const c = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return c;
  }

  static async refused(url: string, token: string | null, headers: Record<string, string> = {}): Promise<number> {
    const ws = new WebSocket(token === null ? url : `${url}?access_token=${encodeURIComponent(token)}`, { headers });
    return new Promise<number>((resolve, reject) => {
      ws.once("open", () => reject(new Error("the upgrade was accepted")));
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("error", () => resolve(-1));
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching `pred` (from the start of the log), or fails after `ms`. */
  async waitFor(pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames).slice(0, 800)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async subscribe(topic: string, since?: number): Promise<Frame> {
    this.send(since === undefined ? { type: "subscribe", topic } : { type: "subscribe", topic, since });
    return this.waitFor((f) => f.topic === topic && (f.type === "subscribed" || f.type === "error"));
  }

  async waitClosed(ms = 5000): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error("socket not closed");
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closeCode;
  }

  events(topic?: string): Frame[] {
    return this.frames.filter((f) => f.type === "event" && (topic === undefined || f.topic === topic));
  }

  close(): void {
    this.ws.close();
  }
}

/** Lets in-flight notifications and deliveries settle before asserting that nothing arrived. */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** The postgres:// URL a PostgreSQL Database was opened with. */
export function urlOf(db: Database): string {
  return (db.pool.options as { connectionString: string }).connectionString;
}

/**
 * PostgreSQL: terminates backends of this database with pg_terminate_backend, as an
 * administrator or a failing server would: `which` = the realtime listeners only, or every
 * connection but the one asking (pools and listeners: the database going away). The same
 * login may terminate its own backends; no superuser needed. Returns how many.
 */
export async function terminateBackends(db: Database, which: "listeners" | "all"): Promise<number> {
  const c = new pg.Client({ connectionString: urlOf(db) });
  await c.connect();
  try {
    const filter = which === "listeners" ? "and application_name = 'carebase-realtime'" : "";
    const { rows } = await c.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() ${filter}`,
    );
    return rows.filter((r) => r.ok).length;
  } finally {
    await c.end();
  }
}

/** Waits until `cond` holds, or fails after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function postMessage(patientId: string, senderId: string, message: string) {
  return serviceQuery((tx) =>
    tx.insertInto("care_messages").values({ patient_id: patientId, sender_id: senderId, message }).returning("id").executeTakeFirstOrThrow(),
  );
}

/** The care-message events of a patient that committed, oldest first: what a subscriber must receive. */
export async function committedMessageEvents(patientId: string): Promise<number[]> {
  const { rows } = await serviceQuery((tx) =>
    sql<{ id: string }>`select e.id::text as id from app.change_events e
                         where e.patient_id = ${patientId} and e.table_name = 'care_messages' order by e.id`.execute(tx),
  );
  return rows.map((r) => Number(r.id));
}

/**
 * Writes `n` messages one after another (so their ids commit in order), `everyMs` apart,
 * calling `during(i)` before each. A write an outage breaks is not retried: whether it
 * committed is read back from the change log (committedMessageEvents).
 */
export async function writeSteadily(patientId: string, senderId: string, n: number, everyMs: number, during?: (i: number) => Promise<void> | void) {
  for (let i = 0; i < n; i++) {
    await during?.(i);
    await postMessage(patientId, senderId, `steady ${i}`).catch(() => {});
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The event ids a client received on a topic, in arrival order. */
export const eventIds = (c: Client, topic: string): number[] => c.events(topic).map((f) => f.event_id!);
