import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ObjectIntegrityError } from "./object-store";

/**
 * Encryption at rest for the local driver: AES-256-GCM under a fresh data key per object,
 * the data key wrapped (AES-256-GCM) by the storage key-encryption key, the plaintext cut
 * into chunks that are each authenticated on their own, so that decryption can stream and
 * still never release a byte it has not verified (the STREAM construction).
 *
 *   header  = "CBE1" | version 1 | wrap iv (12) | wrapped data key (32) | wrap tag (16)
 *             | nonce prefix (7) | chunk size (u32 BE)                        = 76 bytes
 *   frame   = flag (1: 0 more, 1 final) | length (u32 BE) | ciphertext | tag (16)
 *             (data frames are full chunks except the last; the final frame is empty)
 *   nonce   = nonce prefix (7) | frame counter (u32 BE) | flag (1)
 *   aad     = the whole header, for every frame
 *
 * The wrapped key is bound to the object's key (AAD), so a file moved to another name does
 * not decrypt; the flag in the nonce makes truncation and extension detectable; the header
 * as AAD makes any change to it fail the first frame.
 */
const MAGIC = Buffer.from("CBE1", "ascii");
const VERSION = 1;
export const HEADER_BYTES = 4 + 1 + 12 + 32 + 16 + 7 + 4;
const FRAME_HEAD = 5;
const TAG = 16;
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

function wrapAad(objectKey: string): Buffer {
  return Buffer.from(`carebase:object:v1:${objectKey}`, "utf8");
}

function nonce(prefix: Buffer, counter: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, 7);
  n[11] = final ? 1 : 0;
  return n;
}

export class EncryptStream extends Transform {
  private readonly dataKey = randomBytes(32);
  private readonly header: Buffer;
  private readonly prefix = randomBytes(7);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private counter = 0;
  private headerSent = false;
  /** Plaintext bytes seen. */
  plaintextBytes = 0;

  constructor(kek: Buffer, objectKey: string, private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    super();
    if (chunkBytes <= 0 || chunkBytes > MAX_CHUNK_BYTES) throw new Error("chunk size out of range");
    const wrapIv = randomBytes(12);
    const wrap = createCipheriv("aes-256-gcm", kek, wrapIv);
    wrap.setAAD(wrapAad(objectKey));
    const wrapped = Buffer.concat([wrap.update(this.dataKey), wrap.final()]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(chunkBytes);
    this.header = Buffer.concat([MAGIC, Buffer.from([VERSION]), wrapIv, wrapped, wrap.getAuthTag(), this.prefix, size]);
  }

  private seal(plain: Buffer, final: boolean): void {
    if (!this.headerSent) {
      this.push(this.header);
      this.headerSent = true;
    }
    const cipher = createCipheriv("aes-256-gcm", this.dataKey, nonce(this.prefix, this.counter++, final));
    cipher.setAAD(this.header);
    const head = Buffer.alloc(FRAME_HEAD);
    head[0] = final ? 1 : 0;
    head.writeUInt32BE(plain.length, 1);
    const body = cipher.update(plain);
    cipher.final();
    this.push(Buffer.concat([head, body, cipher.getAuthTag()]));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.plaintextBytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.chunkBytes) {
      // one copy per byte: gather, seal every full chunk, keep the rest
      const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      let off = 0;
      for (; data.length - off >= this.chunkBytes; off += this.chunkBytes) this.seal(data.subarray(off, off + this.chunkBytes), false);
      this.pending = off < data.length ? [data.subarray(off)] : [];
      this.pendingBytes = data.length - off;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes) this.seal(Buffer.concat(this.pending, this.pendingBytes), false);
    this.seal(Buffer.alloc(0), true); // the final frame: its absence means truncation
    this.pending = [];
    this.dataKey.fill(0);
    done();
  }
}

export class DecryptStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private header: Buffer | undefined;
  private dataKey: Buffer | undefined;
  private prefix: Buffer | undefined;
  private chunkBytes = 0;
  private counter = 0;
  private finished = false;

  constructor(private readonly kek: Buffer, private readonly objectKey: string) {
    super();
  }

  private readHeader(h: Buffer): void {
    if (!h.subarray(0, 4).equals(MAGIC) || h[4] !== VERSION) throw new ObjectIntegrityError("Unknown object format.");
    const wrapIv = h.subarray(5, 17);
    const wrapped = h.subarray(17, 49);
    const wrapTag = h.subarray(49, 65);
    try {
      const unwrap = createDecipheriv("aes-256-gcm", this.kek, wrapIv);
      unwrap.setAAD(wrapAad(this.objectKey));
      unwrap.setAuthTag(wrapTag);
      this.dataKey = Buffer.concat([unwrap.update(wrapped), unwrap.final()]);
    } catch {
      throw new ObjectIntegrityError("The object's data key does not unwrap.");
    }
    this.prefix = Buffer.from(h.subarray(65, 72));
    this.chunkBytes = h.readUInt32BE(72);
    if (this.chunkBytes <= 0 || this.chunkBytes > MAX_CHUNK_BYTES) throw new ObjectIntegrityError("Bad chunk size.");
    this.header = Buffer.from(h);
  }

  private drain(): void {
    let offset = 0;
    if (!this.header) {
      if (this.buf.length < HEADER_BYTES) return;
      this.readHeader(this.buf.subarray(0, HEADER_BYTES));
      offset = HEADER_BYTES;
    }
    while (this.buf.length - offset >= FRAME_HEAD) {
      if (this.finished) throw new ObjectIntegrityError("Data after the final frame.");
      const flag = this.buf[offset];
      const len = this.buf.readUInt32BE(offset + 1);
      if (flag > 1 || len > this.chunkBytes) throw new ObjectIntegrityError("Malformed frame.");
      const end = offset + FRAME_HEAD + len + TAG;
      if (this.buf.length < end) break;
      const final = flag === 1;
      const decipher = createDecipheriv("aes-256-gcm", this.dataKey!, nonce(this.prefix!, this.counter++, final));
      decipher.setAAD(this.header!);
      decipher.setAuthTag(this.buf.subarray(end - TAG, end));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(this.buf.subarray(offset + FRAME_HEAD, end - TAG)), decipher.final()]);
      } catch {
        throw new ObjectIntegrityError("A frame failed authentication.");
      }
      if (plain.length) this.push(plain);
      if (final) this.finished = true;
      offset = end;
    }
    this.buf = offset === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(offset);
  }

  /** Bytes needed before drain() can make progress. */
  private needed(): number {
    if (!this.header) return HEADER_BYTES;
    if (this.buf.length < FRAME_HEAD) return FRAME_HEAD;
    return FRAME_HEAD + Math.min(this.buf.readUInt32BE(1), this.chunkBytes + 1) + TAG;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk);
    this.partsBytes += chunk.length;
    if (this.buf.length + this.partsBytes < this.needed() && this.buf.length >= FRAME_HEAD) {
      done();
      return;
    }
    this.buf = Buffer.concat([this.buf, ...this.parts], this.buf.length + this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    try {
      this.drain();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.partsBytes) {
      this.buf = Buffer.concat([this.buf, ...this.parts]);
      this.parts = [];
      this.partsBytes = 0;
      try {
        this.drain();
      } catch (e) {
        done(e as Error);
        return;
      }
    }
    if (!this.finished || this.buf.length) {
      done(new ObjectIntegrityError(this.finished ? "Data after the final frame." : "The object is truncated."));
      return;
    }
    this.dataKey?.fill(0);
    done();
  }
}
