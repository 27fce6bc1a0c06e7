import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { S3Settings } from "./config";
import { assertObjectKey, ObjectMissingError, type ObjectStore, type StoredObjectInfo } from "./object-store";

/**
 * Any S3-compatible store through the AWS SDK v3. Objects are uploaded with lib-storage's
 * multipart Upload (streamed in 5 MiB parts, aborted on error) and server-side encryption
 * requested (SSE-S3, AES256). An upload is invisible under its key until it completes.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = "s3" as const;
  readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials:
        settings.accessKeyId && settings.secretAccessKey
          ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
          : undefined,
    });
  }

  async put(key: string, source: Readable | AsyncIterable<Buffer>): Promise<void> {
    assertObjectKey(key);
    const body = source instanceof Readable ? source : Readable.from(source);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.settings.bucket,
        Key: key,
        Body: body,
        ContentType: "application/octet-stream",
        ServerSideEncryption: "AES256",
      },
      queueSize: 1,
      leavePartsOnError: false,
    });
    // lib-storage does not always see a failing source: make sure it stops and aborts.
    const failed = new Promise<never>((_, reject) => body.once("error", reject));
    try {
      await Promise.race([upload.done(), failed]);
    } catch (e) {
      await upload.abort().catch(() => undefined);
      await this.delete(key).catch(() => undefined);
      throw e;
    }
  }

  async get(key: string): Promise<Readable> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return out.Body as Readable;
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey") throw new ObjectMissingError(key);
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  async *list(): AsyncIterable<StoredObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { key: o.Key, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Aborts multipart uploads left by a crash (stores without the API simply have none). */
  async removeIncomplete(olderThan: Date): Promise<number> {
    let removed = 0;
    try {
      const out = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.settings.bucket }));
      for (const u of out.Uploads ?? []) {
        if (u.Key && u.UploadId && (u.Initiated ?? new Date(0)) <= olderThan) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed++;
        }
      }
    } catch (e) {
      const name = (e as { name?: string; Code?: string }).name;
      if (name !== "NotImplemented" && name !== "MethodNotAllowed" && name !== "NotFound") throw e;
    }
    return removed;
  }
}
