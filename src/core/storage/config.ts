import path from "node:path";
import { envFrom, type DocumentContentType, type EnvSource } from "../config/env";

/** The content types Carebase accepts for documents (the documents table allows these only). */
export { DEFAULT_RETENTION_DAYS, DOCUMENT_CONTENT_TYPES, type DocumentContentType } from "../config/env";

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

export function loadStorageConfig(source?: EnvSource): StorageConfig {
  const e = envFrom(source);
  let s3: S3Settings | undefined;
  if (e.STORAGE_DRIVER === "s3") {
    if (!e.S3_BUCKET) throw new Error("S3_BUCKET is required when STORAGE_DRIVER=s3.");
    s3 = {
      endpoint: e.S3_ENDPOINT,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
    };
  }
  return {
    driver: e.STORAGE_DRIVER,
    objectsDir: path.join(e.DATA_DIR, "objects"),
    s3,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    allowedTypes: e.ALLOWED_DOCUMENT_TYPES,
    signedUrlDefaultSeconds: Math.min(3600, e.SIGNED_URL_MAX_SECONDS),
    signedUrlMaxSeconds: e.SIGNED_URL_MAX_SECONDS,
    retentionDays: e.DOCUMENT_RETENTION_DAYS,
  };
}
