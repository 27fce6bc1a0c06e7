import { AppError } from "../errors";

/** The link is not one we issued, or was altered. */
export class SignedUrlInvalidError extends AppError {
  constructor() {
    super(403, "signed_url_invalid", "This download link is not valid.");
  }
}

export class SignedUrlExpiredError extends AppError {
  constructor() {
    super(403, "signed_url_expired", "This download link has expired. Ask for a new one.");
  }
}

/** The stored bytes are missing or fail their integrity check: we answer an error, never corrupt bytes. */
export class DocumentUnreadableError extends AppError {
  constructor() {
    super(500, "document_unreadable", "The document's stored file could not be read intact. The incident has been logged.");
  }
}

/** Seconds a client is asked to wait before retrying an upload the store refused. */
export const STORE_RETRY_AFTER_SECONDS = 30;

/** The object store refused a write (read-only disk, permissions, S3 down): not the client's fault. */
export class StorageUnavailableError extends AppError {
  constructor() {
    super(503, "storage_unavailable", "The document store cannot accept files right now. Try again later; the incident has been logged.", {
      "Retry-After": String(STORE_RETRY_AFTER_SECONDS),
    });
  }
}

/** The object store is out of space (ENOSPC, quota). */
export class StorageFullError extends AppError {
  constructor() {
    super(507, "insufficient_storage", "The document store is full. The incident has been logged.");
  }
}

/** The error an upload answers when the store's write failed. */
export function storeWriteError(e: unknown): StorageUnavailableError | StorageFullError {
  const code = (e as { code?: unknown })?.code;
  return code === "ENOSPC" || code === "EDQUOT" ? new StorageFullError() : new StorageUnavailableError();
}

/** What a log line may say about a store failure: its kind, not its contents. */
export function storeFailureCause(e: unknown): Record<string, unknown> {
  const err = e as { name?: unknown; code?: unknown; syscall?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return {
    name: err?.name,
    code: err?.code,
    syscall: err?.syscall,
    httpStatus: err?.$metadata?.httpStatusCode,
    message: typeof err?.message === "string" ? err.message.slice(0, 300) : undefined,
  };
}
