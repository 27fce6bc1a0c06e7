import { randomUUID, createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import busboy from "busboy";
import type { RequestContext } from "../db/with-user";
import { AppError, BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors";
import { log } from "../log";
import type { DocumentContentType, StorageConfig } from "./config";
import { declaredType, sniffContentType, SNIFF_BYTES, typeOfExtension } from "./content-type";
import { storeFailureCause, storeWriteError } from "./errors";
import { assertPlainFileName, sanitiseFileName } from "./file-name";
import type { ObjectStore } from "./object-store";

/**
 * The streaming half of a document upload (uploadDocument in upload-document.ts is the
 * other): the multipart body is parsed as it arrives, its one file part is inspected (size
 * cap, magic bytes, SHA-256) on its way into the object store, and the text fields are
 * collected. Nothing here touches the database.
 */


export interface UploadRequest {
  /** The request's Content-Type (multipart/form-data; boundary=...). */
  contentType: string | null;
  contentLength: number | null;
  /** The raw request body, consumed as a stream. */
  body: Readable;
}

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
  contentType: DocumentContentType;
  fileName: string;
}

/** Multipart framing and the text fields are small; anything beyond this on top of the file is abuse. */
export const MULTIPART_OVERHEAD = 64 * 1024;

export function tooLarge(config: StorageConfig): PayloadTooLargeError {
  return new PayloadTooLargeError(`Documents may be at most ${Math.floor(config.maxUploadBytes / (1024 * 1024) * 10) / 10} MB.`);
}

export async function removeBlob(store: ObjectStore, key: string): Promise<void> {
  try {
    await store.delete(key);
  } catch (e) {
    // The start-up sweeper removes it later; a blob without a row reveals nothing (encrypted, unreachable).
    log.warn({ objectKey: key, err: (e as Error).message }, "could not remove an uncommitted upload");
  }
}

/**
 * Parses the multipart body; stores the one `file` part; collects the text fields. A failure
 * is the client's (a malformed or broken-off body: 400, a file refused by its checks) or the
 * store's (a disk that is full or read-only, S3 down: 507 or 503, logged with its cause).
 */
export function receiveUpload(
  request: UploadRequest,
  patientId: string,
  store: ObjectStore,
  config: StorageConfig,
  context: RequestContext,
): Promise<{ blob: StoredBlob; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": request.contentType ?? "" },
        preservePath: true, // we want to see (and refuse) path-like names
        defParamCharset: "utf8", // browsers send file names as raw UTF-8
        // busboy signals "limit" when a file *reaches* fileSize; the cap is inclusive, so a
        // file of exactly maxUploadBytes is accepted and one byte more is refused
        limits: { fileSize: config.maxUploadBytes + 1, files: 1, fields: 8, fieldSize: 4096, parts: 12, fieldNameSize: 100 },
      });
    } catch {
      reject(new UnsupportedMediaTypeError("Send the document as multipart/form-data."));
      return;
    }
    const fields: Record<string, string> = {};
    let storing: Promise<StoredBlob> | undefined;
    let fileStream: Readable | undefined;
    let settled = false;

    const stopReading = (err: Error) => {
      request.body.unpipe(parser);
      request.body.destroy();
      // ends the inspection generator, so the store's put() fails and cleans up
      fileStream?.destroy(err);
    };

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      stopReading(err);
      void (async () => {
        if (storing) {
          const blob = await storing.catch(() => undefined);
          if (blob) await removeBlob(store, blob.key);
        }
        reject(err);
      })();
    };

    parser.on("field", (name, value, info) => {
      if (info.valueTruncated || info.nameTruncated) {
        fail(new ValidationError("A form field is too long.", { [name]: "Too long." }));
        return;
      }
      if (name === "document_type" || name === "description") fields[name] = value;
    });

    parser.on("file", (name, stream, info) => {
      stream.on("error", () => undefined); // errors surface through the pipeline below
      if (name !== "file" || storing) {
        stream.resume();
        fail(new BadRequestError("Send exactly one file, in the field named \"file\".", "unexpected_file"));
        return;
      }
      try {
        assertPlainFileName(info.filename);
      } catch (e) {
        stream.resume();
        fail(e as Error);
        return;
      }
      fileStream = stream;
      storing = storeFilePart(stream, info.mimeType, info.filename, { patientId, store, config, context }, fail, () => settled);
    });

    parser.on("filesLimit", () => fail(new BadRequestError("Send exactly one file, in the field named \"file\".", "unexpected_file")));
    parser.on("fieldsLimit", () => fail(new BadRequestError("Too many form fields.", "too_many_fields")));
    parser.on("partsLimit", () => fail(new BadRequestError("Too many form parts.", "too_many_fields")));
    parser.on("error", () => fail(new BadRequestError("The multipart body is malformed.", "malformed_multipart")));
    parser.on("close", () => {
      if (settled) return;
      if (!storing) {
        fail(new ValidationError("Attach the document as the form field \"file\".", { file: "Required." }, "missing_file"));
        return;
      }
      storing.then(
        (blob) => {
          if (settled) return void removeBlob(store, blob.key);
          settled = true;
          resolve({ blob, fields });
        },
        () => undefined, // handled by the catch above
      );
    });
    request.body.on("error", () => fail(new BadRequestError("The upload was interrupted.", "upload_interrupted")));
    request.body.pipe(parser);
  });
}

interface PartTarget {
  patientId: string;
  store: ObjectStore;
  config: StorageConfig;
  context: RequestContext;
}

/**
 * Streams the file part into the store under a fresh key, through the inspection. A failure
 * goes to `fail` as what the client sees: the inspection's own answer (413, 415, 422), an
 * interrupted upload (400), or the store's failure (507/503, logged with its cause).
 */
function storeFilePart(
  stream: Readable,
  mimeType: string,
  fileName: string | undefined,
  { patientId, store, config, context }: PartTarget,
  fail: (err: Error) => void,
  settled: () => boolean,
): Promise<StoredBlob> {
  const key = `${patientId}/${randomUUID()}`;
  const state = new Inspection(config, mimeType, fileName);
  stream.on("limit", () => {
    // the moment the file passes the cap: stop reading the request and answer 413
    state.overLimit = true;
    fail(tooLarge(config));
  });
  const storing = store.put(key, state.inspect(stream)).then(() => ({
    key,
    size: state.size,
    sha256: state.hash.digest("hex"),
    contentType: state.contentType!,
    fileName: sanitiseFileName(fileName, state.contentType!),
  }));
  storing.catch((e: unknown) => {
    if (e instanceof AppError) return fail(e);
    if (state.sourceFailed) return fail(new BadRequestError("The upload was interrupted.", "upload_interrupted"));
    if (!settled()) {
      log.error({ requestId: context.requestId, patientId, objectKey: key, store: store.kind, cause: storeFailureCause(e) }, "document store write failed");
    }
    fail(storeWriteError(e));
  });
  return storing;
}

/** Size cap, magic-byte type check and SHA-256, applied to the bytes as they stream through. */
class Inspection {
  size = 0;
  readonly hash: Hash = createHash("sha256");
  contentType: DocumentContentType | undefined;
  overLimit = false;
  /** The request's bytes stopped coming (client gone, body broken off): not the store's fault. */
  sourceFailed = false;

  constructor(
    private readonly config: StorageConfig,
    private readonly declaredMime: string,
    private readonly fileName: string | undefined,
  ) {}

  private decide(head: Buffer): void {
    const sniffed = sniffContentType(head);
    if (!sniffed || !this.config.allowedTypes.includes(sniffed)) {
      throw new UnsupportedMediaTypeError(`Only ${this.config.allowedTypes.map(label).join(", ")} documents are accepted.`);
    }
    const declared = declaredType(this.declaredMime);
    const byName = typeOfExtension(this.fileName ?? "");
    if ((declared !== null && declared !== sniffed) || (byName !== undefined && byName !== sniffed)) {
      throw new UnsupportedMediaTypeError("The file's content does not match its declared type.");
    }
    this.contentType = sniffed;
  }

  async *inspect(source: Readable): AsyncGenerator<Buffer> {
    let head: Buffer[] = [];
    let headBytes = 0;
    for await (const chunk of this.read(source)) {
      if (this.overLimit) throw tooLarge(this.config);
      this.size += chunk.length;
      this.hash.update(chunk);
      if (this.contentType) {
        yield chunk;
        continue;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < SNIFF_BYTES) continue;
      const all = Buffer.concat(head);
      head = [];
      this.decide(all);
      yield all;
    }
    if (this.overLimit) throw tooLarge(this.config);
    if (this.size === 0) throw new ValidationError("The file is empty.", { file: "The file is empty." }, "empty_file");
    if (!this.contentType) {
      const all = Buffer.concat(head);
      this.decide(all);
      yield all;
    }
  }

  /** The source's chunks; an error it raises marks the upload as broken off by the client. */
  private async *read(source: Readable): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) yield chunk;
    } catch (e) {
      if (!(e instanceof AppError)) this.sourceFailed = true;
      throw e;
    }
  }
}

function label(type: DocumentContentType): string {
  return type === "application/pdf" ? "PDF" : type === "image/png" ? "PNG" : "JPEG";
}
