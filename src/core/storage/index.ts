import { LocalObjectStore } from "./local-store";
import { loadStorageConfig } from "./config";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore } from "./s3-store";

/**
 * The process's object store, chosen by STORAGE_DRIVER. Like the database, it lives on
 * globalThis so server.ts and Next's bundles share one instance.
 */
const KEY = Symbol.for("carebase.object-store");
const g = globalThis as unknown as Record<symbol, ObjectStore | undefined>;

export function objectStore(): ObjectStore {
  const existing = g[KEY];
  if (existing) return existing;
  const config = loadStorageConfig();
  const store = config.driver === "s3" ? new S3ObjectStore(config.s3!) : new LocalObjectStore(config.objectsDir);
  g[KEY] = store;
  return store;
}

/** Installs a store (tests, scripts). */
export function useObjectStore(store: ObjectStore | undefined): void {
  g[KEY] = store;
}
