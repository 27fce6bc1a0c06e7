import path from "node:path";
import { deriveKey, loadConfig } from "../../config";
import { LocalObjectStore } from "../../storage/local-store";
import type { ObjectStore } from "../../storage/object-store";

/**
 * Where export files live: sealed files under DATA_DIR/exports (AES-256-GCM, the
 * documents' envelope, under a key of their own), `<job id>/<file id>.cbe`. Apart from the
 * documents' store, so that the documents' orphan sweep never sees them; they go when their
 * job expires, fails or is cancelled (sweepExports).
 */
const KEY = Symbol.for("carebase.fhir-export-store");
const g = globalThis as unknown as Record<symbol, ObjectStore | undefined>;

export function exportStore(): ObjectStore {
  return (g[KEY] ??= new LocalObjectStore(path.join(loadConfig().dataDir, "exports"), deriveKey("fhir-export-kek")));
}

/** Installs a store (tests). */
export function useExportStore(store: ObjectStore | undefined): void {
  g[KEY] = store;
}

export const exportFileKey = (jobId: string, fileId: string) => `${jobId}/${fileId}`;
