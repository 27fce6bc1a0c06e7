import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import type { Database } from "@/core/db/engine";
import { RealtimeHub, type HubOptions } from "@/core/realtime/hub";

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
