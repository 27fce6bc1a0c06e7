import { pingDatabase } from "../db/ping-database";
import { realtimeStatus } from "../realtime/index";
import { probeObjectStore } from "../storage/probe-object-store";
import { isDraining } from "./draining";

/**
 * Readiness: can this instance do its work right now? Each check is real (the database
 * answers a statement, the object store takes a write and a delete, the realtime listener
 * holds its LISTEN connection, the process is not draining) and time-bounded. The answer
 * names every check, so an operator sees which one failed (docs/operations.md).
 */
export const READINESS_CHECKS = ["database", "storage", "realtime", "draining"] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface CheckResult {
  ok: boolean;
  /** How long the check took (database, storage). */
  ms?: number;
  /** Why it failed: an error code or a short phrase, never a message that could name hosts or paths. */
  reason?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<ReadinessCheck, CheckResult>;
}

export interface ReadinessProbes {
  database: () => Promise<void>;
  storage: () => Promise<void>;
  realtimeListening: () => boolean;
  draining: () => boolean;
  /** Longest a database or storage check may take before it counts as failed. */
  timeoutMs: number;
  /** A finished database or storage check's result is reused this long (the endpoint is public: no write per hit). */
  reuseMs?: number;
}

/** Two seconds: a store that takes longer to write 25 bytes is not one to send uploads to. */
export const READINESS_TIMEOUT_MS = 2_000;
/** However often readiness is polled, the store gets at most one probe write per second. */
export const READINESS_REUSE_MS = 1_000;

export const defaultProbes: ReadinessProbes = {
  database: pingDatabase,
  storage: () => probeObjectStore(),
  realtimeListening: () => realtimeStatus()?.listening ?? false,
  draining: isDraining,
  timeoutMs: READINESS_TIMEOUT_MS,
  reuseMs: READINESS_REUSE_MS,
};

/**
 * A probe still running from an earlier call (a hung NFS write, a database that does not
 * answer) is joined, not started again, and a finished one is reused for `reuseMs`: readiness
 * polled in a loop never piles up writes.
 */
const recent = new Map<() => Promise<void>, { outcome: Promise<void>; settledAt?: number }>();

function joined(probe: () => Promise<void>, reuseMs: number): Promise<void> {
  const last = recent.get(probe);
  if (last && (last.settledAt === undefined || Date.now() - last.settledAt < reuseMs)) return last.outcome;
  const entry: { outcome: Promise<void>; settledAt?: number } = { outcome: probe() };
  const settled = () => void (entry.settledAt = Date.now());
  entry.outcome.then(settled, settled);
  recent.set(probe, entry);
  return entry.outcome;
}

/** Tests: the next check probes afresh. */
export function forgetReadinessResults(): void {
  recent.clear();
}

async function timed(probe: () => Promise<void>, timeoutMs: number, reuseMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "timeout" })), timeoutMs);
  });
  try {
    await Promise.race([joined(probe, reuseMs), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, ms: Math.round(performance.now() - started), reason: reasonOf(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** An error code (ENOSPC, ECONNREFUSED, 57P03, an S3 error name), or "error". */
function reasonOf(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown };
  if (typeof err?.code === "string" && /^[A-Za-z0-9_]{1,40}$/.test(err.code)) return err.code;
  if (typeof err?.name === "string" && err.name !== "Error" && /^[A-Za-z0-9_]{1,60}$/.test(err.name)) return err.name;
  return "error";
}

export async function checkReadiness(probes: ReadinessProbes = defaultProbes): Promise<Readiness> {
  const reuseMs = probes.reuseMs ?? 0;
  const [database, storage] = await Promise.all([timed(probes.database, probes.timeoutMs, reuseMs), timed(probes.storage, probes.timeoutMs, reuseMs)]);
  const listening = probes.realtimeListening();
  const draining = probes.draining();
  const checks: Record<ReadinessCheck, CheckResult> = {
    database,
    storage,
    realtime: listening ? { ok: true } : { ok: false, reason: "listener_disconnected" },
    draining: draining ? { ok: false, reason: "shutting_down" } : { ok: true },
  };
  return { ready: READINESS_CHECKS.every((c) => checks[c].ok), checks };
}
