import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Database } from "../db/engine";
import { RealtimeHub, type HubOptions } from "./hub";

export { RealtimeHub, CLOSE_SESSION_ENDED, type HubOptions } from "./hub";

type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const UPGRADE_KEY = Symbol.for("carebase.upgrade");
const HUB_KEY = Symbol.for("carebase.realtime");
const g = globalThis as unknown as Record<symbol, UpgradeHandler | RealtimeHub | undefined>;

/**
 * Starts this instance's realtime hub: LISTENs for changes and installs the /realtime/v1
 * upgrade handler where server.ts looks for it. Call after the database is open and
 * before the server starts listening.
 */
export async function startRealtime(db: Database, options: HubOptions = {}): Promise<RealtimeHub> {
  const existing = g[HUB_KEY];
  if (existing instanceof RealtimeHub) return existing;
  const hub = new RealtimeHub(db, options);
  await hub.start();
  g[HUB_KEY] = hub;
  g[UPGRADE_KEY] = hub.handleUpgrade;
  return hub;
}

/** What health checks and metrics read about this instance's hub (read-only; undefined when not running). */
export interface RealtimeStatus {
  /** The LISTEN connection is up: committed changes reach this instance. */
  listening: boolean;
  /** Open sockets. */
  sockets: number;
  /** Since start: events delivered to sockets, and fan-outs that failed. */
  deliveries: number;
  deliveryFailures: number;
}

export function realtimeStatus(): RealtimeStatus | undefined {
  // read by Next's bundles too, whose RealtimeHub class is another module instance than
  // server.ts's: no instanceof here
  const hub = g[HUB_KEY] as Pick<RealtimeHub, "listening" | "connections" | "stats"> | undefined;
  if (!hub || typeof hub !== "object" || !("stats" in hub)) return undefined;
  return { listening: hub.listening, sockets: hub.connections, deliveries: hub.stats.deliveries, deliveryFailures: hub.stats.deliveryFailures };
}

/** Closes every socket and releases the LISTEN connection (call before closing the database). */
export async function stopRealtime(): Promise<void> {
  const hub = g[HUB_KEY];
  g[HUB_KEY] = undefined;
  g[UPGRADE_KEY] = undefined;
  if (hub instanceof RealtimeHub) await hub.stop();
}
