import { statfs } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { getAuditBacklog, type AuditBacklog } from "../audit/get-audit-backlog";
import { loadConfig } from "../config";
import { poolUsage } from "../db/ping-database";
import { log } from "../log";
import { realtimeStatus } from "../realtime/index";
import { isDraining } from "./draining";

/**
 * The process's Prometheus metrics (GET /api/metrics, docs/operations.md). One registry per
 * process, on globalThis: server.ts (which counts HTTP requests) and Next's bundles (which
 * serve the endpoint) are different module instances, and each would otherwise have its own.
 *
 * Labels carry patterns and codes only: the route pattern (`/api/v1/patients/{id}`), the
 * method, the status. Never an id, an email, a name or a token.
 */
export interface CarebaseMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  httpInFlight: Gauge;
}

const KEY = Symbol.for("carebase.metrics");
const g = globalThis as unknown as Record<symbol, CarebaseMetrics | undefined>;

export function metrics(): CarebaseMetrics {
  return (g[KEY] ??= createMetrics());
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Counts one finished request. `route` must be a pattern (RouteLabeler), `status` 0 when the client went away first. */
export function observeHttpRequest(method: string | undefined, route: string, status: number, seconds: number): void {
  const m = metrics();
  const labels = { method: METHODS.has(method ?? "") ? method! : "OTHER", route, status: status ? String(status) : "aborted" };
  m.httpRequests.inc(labels);
  m.httpDuration.observe(labels, seconds);
}

/** Counts a request from its arrival to its answer's end (server.ts, for every request: pages, API, assets). */
export function measureHttpRequest(req: IncomingMessage, res: ServerResponse, route: string): void {
  const started = process.hrtime.bigint();
  const { httpInFlight } = metrics();
  httpInFlight.inc();
  res.once("close", () => {
    httpInFlight.dec();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    observeHttpRequest(req.method, route, res.writableFinished ? res.statusCode : 0, seconds);
  });
}

function createMetrics(): CarebaseMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: "carebase_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "carebase_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const httpInFlight = new Gauge({
    name: "carebase_http_requests_in_flight",
    help: "HTTP requests received and not yet answered.",
    registers: [registry],
  });

  new Gauge({
    name: "carebase_draining",
    help: "1 while the process is shutting down (readiness answers 503).",
    registers: [registry],
    collect() {
      this.set(isDraining() ? 1 : 0);
    },
  });

  const poolGauge = (name: string, help: string, pick: (u: NonNullable<ReturnType<typeof poolUsage>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const usage = poolUsage();
        if (usage) this.set(pick(usage));
        else this.reset();
      },
    });
  poolGauge("carebase_db_pool_in_use", "Database connections checked out by requests and jobs.", (u) => u.inUse);
  poolGauge("carebase_db_pool_idle", "Database connections open and idle.", (u) => u.total - u.inUse);
  poolGauge("carebase_db_pool_waiting", "Requests waiting for a database connection.", (u) => u.waiting);
  poolGauge("carebase_db_pool_max", "The database pool's size limit.", (u) => u.max);

  new Gauge({
    name: "carebase_realtime_sockets",
    help: "Open realtime WebSocket connections on this instance.",
    registers: [registry],
    collect() {
      this.set(realtimeStatus()?.sockets ?? 0);
    },
  });
  new Gauge({
    name: "carebase_realtime_listener_up",
    help: "1 while the realtime hub's LISTEN connection is up (committed changes reach this instance).",
    registers: [registry],
    collect() {
      this.set(realtimeStatus()?.listening ? 1 : 0);
    },
  });
  const fromHubStats = (name: string, help: string, pick: (s: NonNullable<ReturnType<typeof realtimeStatus>>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // the hub counts; this mirrors its counter (which restarts with the hub)
        this.reset();
        const s = realtimeStatus();
        if (s) this.inc(pick(s));
      },
    });
  fromHubStats("carebase_realtime_deliveries_total", "Realtime events delivered to sockets since the hub started.", (s) => s.deliveries);
  fromHubStats("carebase_realtime_delivery_failures_total", "Realtime fan-outs that failed since the hub started.", (s) => s.deliveryFailures);

  const audit = memoised(1_000, getAuditBacklog);
  const auditGauge = (name: string, help: string, pick: (b: AuditBacklog) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const b = await audit().catch((e: unknown) => {
          log.warn({ err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, "metrics: audit backlog unavailable");
          return undefined;
        });
        const v = b ? pick(b) : null;
        if (v === null) this.reset();
        else this.set(v);
      },
    });
  auditGauge("carebase_audit_stage_backlog", "Read records staged and not yet moved onto the audit hash chains.", (b) => b.staged);
  auditGauge("carebase_audit_stage_oldest_seconds", "Age of the oldest staged read record (absent when none is staged).", (b) => b.oldestStagedSeconds);
  auditGauge("carebase_audit_checkpoint_age_seconds", "Time since the newest signed audit checkpoint.", (b) => b.checkpointAgeSeconds);

  const disk = memoised(1_000, async () => statfs(loadConfig().dataDir));
  const diskGauge = (name: string, help: string, pick: (s: Awaited<ReturnType<typeof statfs>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const s = await disk().catch(() => undefined);
        if (s) this.set(pick(s));
        else this.reset();
      },
    });
  diskGauge("carebase_data_dir_free_bytes", "Bytes available to Carebase on the file system holding DATA_DIR.", (s) => Number(s.bavail) * Number(s.bsize));
  diskGauge("carebase_data_dir_size_bytes", "Size of the file system holding DATA_DIR.", (s) => Number(s.blocks) * Number(s.bsize));

  return { registry, httpRequests, httpDuration, httpInFlight };
}

/** One call shared by every gauge of a scrape (they collect in parallel), at most every `ms`. */
function memoised<T>(ms: number, fn: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > ms) last = { at: Date.now(), value: fn() };
    return last.value;
  };
}
