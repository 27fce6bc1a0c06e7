import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { Logger } from "pino";
import { envFrom, type EnvSource } from "../config/env";
import { beginDraining, isDraining } from "./draining";

/**
 * Graceful shutdown (docs/operations.md, "Shutdown and rolling restarts"). On SIGTERM:
 *
 * 1. readiness turns to 503 (the draining flag), and answers from now on close their
 *    connection instead of keeping it alive;
 * 2. after SHUTDOWN_DELAY_SECONDS (default 0; for load balancers that only learn from
 *    readiness), the listening socket closes: new connections are refused, which a proxy
 *    retries on another instance without the request ever having run here;
 * 3. requests in flight finish, for up to SHUTDOWN_GRACE_SECONDS (default 20), and each
 *    connection closes once it carries no request; only then is whatever is still open
 *    closed, and how many requests that cut off is logged;
 * 4. the steps after HTTP run in order (realtime sockets closed with 1001, background jobs
 *    stopped, the audit stage drained and signed, the database closed), then the process exits.
 *
 * A second signal cuts the grace period short.
 */
export interface ShutdownTiming {
  graceMs: number;
  delayMs: number;
}

export function shutdownTiming(source?: EnvSource): ShutdownTiming {
  const e = envFrom(source);
  return { graceMs: e.SHUTDOWN_GRACE_SECONDS * 1000, delayMs: e.SHUTDOWN_DELAY_SECONDS * 1000 };
}

/** A connection that has not sent its first request this long after it was accepted is idle. */
const FIRST_REQUEST_MS = 1_000;

interface Connection {
  acceptedAt: number;
  /** Requests on it not yet answered. */
  busy: number;
  /** Answers it has carried. */
  served: number;
}

/**
 * The server's HTTP connections and the requests on them. Node's own closeIdleConnections()
 * (which http.Server#close() calls) also closes a connection that was just accepted and whose
 * request has not been read yet, so that client sees a reset for a request it already sent; a
 * connection here is idle only once it has carried an answer, or sent nothing for a second.
 * Upgraded connections (realtime) leave the count: the hub closes them.
 */
export class HttpTraffic {
  private readonly connections = new Map<Socket, Connection>();
  private requests = 0;
  private waiters: (() => void)[] = [];

  /** Call once, before the server listens. */
  attach(server: Server): void {
    server.on("connection", (socket: Socket) => {
      this.connections.set(socket, { acceptedAt: Date.now(), busy: 0, served: 0 });
      socket.once("close", () => {
        this.connections.delete(socket);
        this.settle();
      });
    });
    server.on("upgrade", (req: IncomingMessage) => {
      this.connections.delete(req.socket);
      this.settle();
    });
  }

  /** Call first thing for every request. */
  track(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const conn = this.connections.get(req.socket);
    if (conn) conn.busy++;
    // an answer given while draining closes its connection: the client's next request goes
    // to a fresh connection, which a load balancer sends to another instance
    if (isDraining()) res.setHeader("Connection", "close");
    res.once("close", () => {
      this.requests--;
      if (conn) {
        conn.busy--;
        conn.served++;
      }
      this.settle();
    });
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.requests;
  }

  /** Open HTTP connections (upgraded ones excluded). */
  get open(): number {
    return this.connections.size;
  }

  /** Closes the connections that carry no request (see the class comment). */
  closeIdle(now = Date.now()): void {
    for (const [socket, c] of this.connections) {
      if (c.busy === 0 && (c.served > 0 || now - c.acceptedAt >= FIRST_REQUEST_MS)) socket.destroy();
    }
  }

  closeAll(): void {
    for (const socket of this.connections.keys()) socket.destroy();
  }

  /** Resolves once no request is in flight and every HTTP connection is closed. */
  drained(): Promise<void> {
    if (this.requests === 0 && this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settle(): void {
    if (this.requests === 0 && this.connections.size === 0) for (const w of this.waiters.splice(0)) w();
  }
}

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

export interface ShutdownOptions {
  server: Server;
  traffic: HttpTraffic;
  timing: ShutdownTiming;
  /** After HTTP has drained, in order. A step that fails is logged and the next one runs. */
  steps: ShutdownStep[];
  log: Logger;
  exit: (code: number) => void;
}

/**
 * Returns the signal handler. The process exits with 0 once every step has run, or with 1
 * from a watchdog if shutting down takes longer than the delay, the grace period and 15 s.
 */
export function gracefulShutdown(opts: ShutdownOptions): (signal: string) => Promise<void> {
  const { server, traffic, timing, steps, log, exit } = opts;
  let running: Promise<void> | undefined;
  let cutShort: () => void = () => undefined;
  const cut = new Promise<void>((resolve) => (cutShort = resolve));

  const shutdown = async (signal: string): Promise<void> => {
    const started = Date.now();
    const watchdog = setTimeout(() => {
      log.error({ signal }, "shutdown took too long: exiting");
      exit(1);
    }, timing.delayMs + timing.graceMs + 15_000);
    watchdog.unref();

    beginDraining();
    log.info({ signal, inFlight: traffic.inFlight, graceSeconds: timing.graceMs / 1000, delaySeconds: timing.delayMs / 1000 }, "draining");
    if (timing.delayMs > 0) await within(timing.delayMs, cut);

    // Stop listening. net.Server#close, not http.Server#close: the latter also closes every
    // connection Node deems idle, including one whose request it has not read yet.
    NetServer.prototype.close.call(server);
    traffic.closeIdle();
    const idleSweep = setInterval(() => traffic.closeIdle(), 50);
    const drained = await within(timing.graceMs, traffic.drained(), cut);
    clearInterval(idleSweep);
    if (!drained) {
      log.warn({ inFlight: traffic.inFlight, connections: traffic.open }, "grace period over: closing connections with requests still in flight");
      traffic.closeAll();
    }
    log.info({ drained, ms: Date.now() - started }, "http drained");

    for (const step of steps) {
      try {
        await step.run();
      } catch (e) {
        log.warn({ step: step.name, err: { name: (e as Error)?.name, message: (e as Error)?.message } }, "shutdown step failed");
      }
    }
    log.info({ ms: Date.now() - started }, "stopped");
    clearTimeout(watchdog);
    exit(0);
  };

  return (signal: string) => {
    if (running) {
      log.warn({ signal }, "second signal: cutting the grace period short");
      cutShort();
      return running;
    }
    running = shutdown(signal);
    return running;
  };
}

/** Waits for `done` for at most `ms` (or until `cut`): true if `done` came first. */
async function within(ms: number, done: Promise<void>, cut?: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      done.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
      ...(cut ? [cut.then(() => false)] : []),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
