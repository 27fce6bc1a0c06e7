import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A young-generation collection (scavenge), for code that turns over a lot of short-lived
 * Buffers. An upload discards about twice its size in Buffers (the request's chunks, and
 * the ciphertext Cipher.update returns fresh for every piece: Node's cipher cannot write
 * into a buffer it is given). Their bytes live outside the V8 heap, so they do not fill the
 * young generation and bring no scavenge; V8 reacts only once such external memory has
 * grown by tens of MB, with a mark-compact of the whole heap. So a 10 MB upload ended with
 * 19 MB of uncollected Buffers on either engine (with PostgreSQL the RSS grew by as much;
 * with PGlite the allocator happened to have the memory in reserve), and about every
 * upload paid for a mark-compact.
 *
 * A scavenge costs what its surviving young objects cost to copy (0.5–0.8 ms in the
 * storage benchmark), not what the garbage weighs, and frees the Buffers' memory at once
 * (V8's array-buffer sweeper releases the backing stores right after it).
 *
 * `gc` is not exposed without `--expose-gc`; it is taken once (about 2 ms) from a new
 * context with the flag set for just that moment, so the main context never gets a global
 * `gc`. It needs only node:v8 and node:vm: plain `node` (the production bundle), tsx, Next's
 * Node.js runtime, vitest. If it cannot be had, this does nothing and memory is as before.
 */
type Gc = (options: { type: "minor" | "major"; execution?: "sync" | "async" }) => void;

let gc: Gc | null | undefined;

function obtainGc(): Gc | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as Gc; // started with --expose-gc
  try {
    setFlagsFromString("--expose-gc");
    try {
      const fn: unknown = runInNewContext("gc");
      return typeof fn === "function" ? (fn as Gc) : null;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  } catch {
    return null;
  }
}

/** Whether collectYoungGarbage() can run a scavenge here (it takes `gc` on the first call). */
export function canCollectYoungGarbage(): boolean {
  gc ??= obtainGc();
  return gc !== null;
}

/** Runs a scavenge now (synchronously), if the runtime allows it. */
export function collectYoungGarbage(): void {
  gc ??= obtainGc();
  gc?.({ type: "minor" });
}
