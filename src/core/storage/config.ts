import path from "node:path";
import { loadConfig } from "../config";

/** The content types Carebase accepts for documents (the documents table allows these only). */
export const DOCUMENT_CONTENT_TYPES = ["application/pdf", "image/jpeg", "image/png"] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

export interface S3Settings {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** Path-style addressing (MinIO, s3rver, Ceph); S3_FORCE_PATH_STYLE=0 turns it off. */
  forcePathStyle: boolean;
}

export interface StorageConfig {
  driver: "local" | "s3";
  /** Local driver: encrypted files under DATA_DIR/objects. */
  objectsDir: string;
  s3: S3Settings | undefined;
  /** MAX_UPLOAD_BYTES, default 10 MB. */
  maxUploadBytes: number;
  /** ALLOWED_DOCUMENT_TYPES (comma-separated), default all of PDF, JPEG, PNG. */
  allowedTypes: DocumentContentType[];
  signedUrlDefaultSeconds: number;
  /** SIGNED_URL_MAX_SECONDS, default 24 hours. */
  signedUrlMaxSeconds: number;
  /**
   * DOCUMENT_RETENTION_DAYS, default 30: soft-deleted documents older than this are purged
   * (rows, then blobs) by the server's retention job; `off` keeps them until purged by hand.
   */
  retentionDays: number | null;
}

export const DEFAULT_RETENTION_DAYS = 30;

function retentionDays(env: NodeJS.ProcessEnv): number | null {
  const raw = (env.DOCUMENT_RETENTION_DAYS ?? "").trim().toLowerCase();
  if (raw === "") return DEFAULT_RETENTION_DAYS;
  if (raw === "off") return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new Error(`DOCUMENT_RETENTION_DAYS must be a whole number of days or "off" (got "${env.DOCUMENT_RETENTION_DAYS}").`);
  }
  return n;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (got "${raw}").`);
  return n;
}

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const driver = (env.STORAGE_DRIVER || "local").toLowerCase();
  if (driver !== "local" && driver !== "s3") throw new Error(`STORAGE_DRIVER must be "local" or "s3" (got "${env.STORAGE_DRIVER}").`);
  let s3: S3Settings | undefined;
  if (driver === "s3") {
    if (!env.S3_BUCKET) throw new Error("S3_BUCKET is required when STORAGE_DRIVER=s3.");
    s3 = {
      endpoint: env.S3_ENDPOINT || undefined,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION || "us-east-1",
      accessKeyId: env.S3_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: env.S3_FORCE_PATH_STYLE !== "0",
    };
  }
  const allowed = (env.ALLOWED_DOCUMENT_TYPES || DOCUMENT_CONTENT_TYPES.join(","))
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const t of allowed) {
    if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(t)) {
      throw new Error(`ALLOWED_DOCUMENT_TYPES may list only ${DOCUMENT_CONTENT_TYPES.join(", ")} (got "${t}").`);
    }
  }
  const signedUrlMaxSeconds = positiveInt(env, "SIGNED_URL_MAX_SECONDS", 24 * 3600);
  return {
    driver,
    objectsDir: path.join(loadConfig(env).dataDir, "objects"),
    s3,
    maxUploadBytes: positiveInt(env, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
    allowedTypes: allowed as DocumentContentType[],
    signedUrlDefaultSeconds: Math.min(3600, signedUrlMaxSeconds),
    signedUrlMaxSeconds,
    retentionDays: retentionDays(env),
  };
}
