import type { Readable } from "node:stream";

/** An object key: `<patient_id>/<uuid>`, lower-case. Anything else never reaches a driver. */
export const OBJECT_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertObjectKey(key: string): void {
  if (!OBJECT_KEY.test(key)) throw new Error("Invalid object key.");
}

export interface StoredObjectInfo {
  key: string;
  lastModified: Date;
}

/**
 * Where document bytes live. Drivers know nothing of users or patients: access control
 * happens in front of them (RLS on documents and storage.objects, signed URLs).
 */
export interface ObjectStore {
  readonly kind: "local" | "s3";
  /**
   * Stores the bytes of `source` under `key`. Either the whole object becomes visible
   * under `key`, or (on any error, including the source failing) nothing does.
   */
  put(key: string, source: Readable | AsyncIterable<Buffer>): Promise<void>;
  /**
   * The object's bytes. A missing object rejects with ObjectMissingError; bytes that fail
   * their integrity check make the stream error (never yield unauthenticated bytes).
   */
  get(key: string): Promise<Readable>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every complete object. */
  list(): AsyncIterable<StoredObjectInfo>;
  /** Removes leftovers of uploads that never completed (a crash mid-upload); returns how many. */
  removeIncomplete(olderThan: Date): Promise<number>;
}

export class ObjectMissingError extends Error {
  constructor(key: string) {
    super(`Object ${key} is missing from the store.`);
    this.name = "ObjectMissingError";
  }
}

export class ObjectIntegrityError extends Error {
  constructor(message = "The stored object failed its integrity check.") {
    super(message);
    this.name = "ObjectIntegrityError";
  }
}
