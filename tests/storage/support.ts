import { createRequire } from "node:module";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { LocalObjectStore } from "@/core/storage/local-store";
import { S3ObjectStore } from "@/core/storage/s3-store";
import type { ObjectStore } from "@/core/storage/object-store";
import { serviceQuery } from "../support/seed";

export type DriverKind = "local" | "s3";
export const drivers: DriverKind[] = ["local", "s3"];

export interface TestStore {
  kind: DriverKind;
  store: ObjectStore;
  dir: string;
  /** Every complete object key in the store. */
  keys(): Promise<string[]>;
  /** Leftovers of incomplete uploads (local temp files). */
  incomplete(): Promise<number>;
  stop(): Promise<void>;
}

/** A store in a temp dir: the encrypted local driver, or the S3 driver against s3rver on loopback. */
export async function startTestStore(kind: DriverKind): Promise<TestStore> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `carebase-store-${kind}-`));
  let store: ObjectStore;
  let stopServer = async () => {};
  if (kind === "local") {
    store = new LocalObjectStore(path.join(dir, "objects"));
  } else {
    const S3rver = createRequire(import.meta.url)("s3rver") as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
    const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "carebase-test", configs: [] }] });
    const { port } = await server.run();
    store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: "carebase-test",
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      forcePathStyle: true,
    });
    stopServer = async () => {
      (store as S3ObjectStore).client.destroy();
      await server.close();
    };
  }
  return {
    kind,
    store,
    dir,
    keys: async () => {
      const out: string[] = [];
      for await (const o of store.list()) out.push(o.key);
      return out.sort();
    },
    incomplete: async () => (kind === "local" ? (await readdir(path.join(dir, "objects", ".incomplete")).catch(() => [])).length : 0),
    stop: async () => {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** documents and storage.objects rows for one patient (service view, including soft-deleted). */
export async function storedRows(patientId: string): Promise<{ documents: string[]; objects: string[] }> {
  return serviceQuery(async (tx) => ({
    documents: (await tx.selectFrom("documents").select("object_key").where("patient_id", "=", patientId).execute()).map((r) => r.object_key).sort(),
    objects: (await tx.selectFrom("storage.objects").select("name").where("patient_id", "=", patientId).execute()).map((r) => r.name).sort(),
  }));
}

export const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);

export function pdfBytes(size: number, marker = "CONFIDENTIAL-LAB-RESULT-MARKER"): Buffer {
  const head = Buffer.from(`%PDF-1.4\n% ${marker}\n`);
  const body = Buffer.alloc(Math.max(0, size - head.length), `stream ${marker} endstream\n`);
  return Buffer.concat([head, body]).subarray(0, size);
}
