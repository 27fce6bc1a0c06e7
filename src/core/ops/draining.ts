/**
 * Whether this process is shutting down. server.ts sets it on SIGTERM (src/core/ops/shutdown.ts);
 * readiness and metrics read it from Next's bundles, which are other module instances, so
 * the flag lives on globalThis.
 */
const KEY = Symbol.for("carebase.draining");
const g = globalThis as unknown as Record<symbol, { since: number } | undefined>;

export function beginDraining(): void {
  g[KEY] ??= { since: Date.now() };
}

export function isDraining(): boolean {
  return g[KEY] !== undefined;
}

/** Tests only: back to serving. */
export function resetDraining(): void {
  g[KEY] = undefined;
}
