// Why one file (over 300 lines): the sealer, the opener and their two stream wrappers are
// one wire format. They share the private header layout, nonce derivation, frame head and
// size limits, which must stay byte-for-byte in step; split, those internals would have to
// be exported to every piece. The streams are thin (about 50 lines); the opener's state
// machine is the bulk, and it reads best next to the sealer whose output it checks.

import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM as Cipher, type DecipherGCM as Decipher } from "node:crypto";
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
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
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

function frameHead(final: boolean, length: number): Buffer {
  const head = Buffer.allocUnsafe(FRAME_HEAD);
  head[0] = final ? 1 : 0;
  head.writeUInt32BE(length, 1);
  return head;
}

/**
 * Seals a plaintext incrementally. Each input chunk goes straight into the current frame's
 * cipher (no gathering copy); a frame's ciphertext pieces are held until the frame is
 * complete, because its head carries its length. So the only allocation per byte is the
 * ciphertext itself, and at most one frame of ciphertext is held.
 */
export class Sealer {
  private readonly dataKey = randomBytes(32);
  private readonly header: Buffer;
  private readonly prefix = randomBytes(7);
  private headerSent = false;
  private counter = 0;
  private cipher: Cipher | undefined;
  private pieces: Buffer[] = [];
  private frameBytes = 0;
  private done = false;
  /** Plaintext bytes seen. */
  plaintextBytes = 0;

  constructor(kek: Buffer, objectKey: string, private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    if (!Number.isInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes > MAX_CHUNK_BYTES) throw new Error("chunk size out of range");
    const wrapIv = randomBytes(12);
    const wrap = createCipheriv("aes-256-gcm", kek, wrapIv);
    wrap.setAAD(wrapAad(objectKey));
    const wrapped = Buffer.concat([wrap.update(this.dataKey), wrap.final()]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(chunkBytes);
    this.header = Buffer.concat([MAGIC, Buffer.from([VERSION]), wrapIv, wrapped, wrap.getAuthTag(), this.prefix, size]);
  }

  /** Encrypts `plain` (not retained); returns the sealed bytes now complete, in order. */
  update(plain: Buffer): Buffer[] {
    if (this.done) throw new Error("Sealer already finished.");
    const out: Buffer[] = [];
    this.startOutput(out);
    this.plaintextBytes += plain.length;
    let off = 0;
    while (off < plain.length) {
      const take = Math.min(plain.length - off, this.chunkBytes - this.frameBytes);
      this.cipher ??= this.newCipher(false);
      this.pieces.push(this.cipher.update(off === 0 && take === plain.length ? plain : plain.subarray(off, off + take)));
      this.frameBytes += take;
      off += take;
      if (this.frameBytes === this.chunkBytes) this.closeFrame(out);
    }
    return out;
  }

  /** The rest: the last data frame and the empty final frame (its absence means truncation). */
  final(): Buffer[] {
    if (this.done) throw new Error("Sealer already finished.");
    const out: Buffer[] = [];
    this.startOutput(out);
    if (this.frameBytes) this.closeFrame(out);
    const last = this.newCipher(true);
    last.final();
    out.push(frameHead(true, 0), last.getAuthTag());
    this.done = true;
    this.dataKey.fill(0);
    return out;
  }

  private startOutput(out: Buffer[]): void {
    if (this.headerSent) return;
    out.push(this.header);
    this.headerSent = true;
  }

  private newCipher(final: boolean): Cipher {
    const c = createCipheriv("aes-256-gcm", this.dataKey, nonce(this.prefix, this.counter++, final)) as Cipher;
    c.setAAD(this.header);
    return c;
  }

  private closeFrame(out: Buffer[]): void {
    const cipher = this.cipher!;
    cipher.final();
    out.push(frameHead(false, this.frameBytes), ...this.pieces, cipher.getAuthTag());
    this.cipher = undefined;
    this.pieces = [];
    this.frameBytes = 0;
  }
}

const enum Phase {
  Header,
  FrameHead,
  Body,
  Tag,
  Done,
}

/**
 * Opens a sealed object incrementally, from pieces of any size. Ciphertext goes straight
 * into the frame's decipher; the plaintext pieces are released only once the frame's tag
 * verifies. It keeps no reference to its input (small split fields are copied), so a
 * caller may reuse its read buffer.
 */
export class Opener {
  private phase = Phase.Header;
  /** A header, frame head or tag that arrives split across inputs. */
  private small = Buffer.alloc(HEADER_BYTES);
  private smallBytes = 0;
  private header: Buffer | undefined;
  private dataKey: Buffer | undefined;
  private prefix: Buffer | undefined;
  private chunkBytes = 0;
  private counter = 0;
  private decipher: Decipher | undefined;
  private lastFrame = false;
  private remaining = 0;
  private plain: Buffer[] = [];
  private failed: Error | undefined;

  constructor(private readonly kek: Buffer, private readonly objectKey: string) {}

  /**
   * Consumes sealed bytes; returns the plaintext verified so far. Throws ObjectIntegrityError
   * (after returning, first, the frames that did verify before the damage).
   */
  update(sealed: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    const out: Buffer[] = [];
    try {
      this.consume(sealed, out);
    } catch (e) {
      if (!out.length) throw e;
      this.failed = e as Error;
    }
    return out;
  }

  private consume(sealed: Buffer, out: Buffer[]): void {
    let off = 0;
    while (off < sealed.length) {
      switch (this.phase) {
        case Phase.Header: {
          const field = this.gather(sealed, off, HEADER_BYTES);
          off = field.next;
          if (field.bytes) {
            this.readHeader(field.bytes);
            this.phase = Phase.FrameHead;
          }
          break;
        }
        case Phase.FrameHead: {
          const field = this.gather(sealed, off, FRAME_HEAD);
          off = field.next;
          if (field.bytes) this.startFrame(field.bytes);
          break;
        }
        case Phase.Body: {
          const take = Math.min(this.remaining, sealed.length - off);
          this.plain.push(this.decipher!.update(sealed.subarray(off, off + take)));
          this.remaining -= take;
          off += take;
          if (this.remaining === 0) this.phase = Phase.Tag;
          break;
        }
        case Phase.Tag: {
          const field = this.gather(sealed, off, TAG);
          off = field.next;
          if (field.bytes) this.endFrame(field.bytes, out);
          break;
        }
        case Phase.Done:
          throw new ObjectIntegrityError("Data after the final frame.");
      }
    }
  }

  /**
   * How many bytes would complete what is being read now: the header, or a whole full-size
   * frame. A reader that reads this much at a time gets one plaintext piece per frame.
   */
  wanted(): number {
    switch (this.phase) {
      case Phase.Header:
        return HEADER_BYTES - this.smallBytes;
      case Phase.FrameHead:
        return FRAME_HEAD - this.smallBytes + this.chunkBytes + TAG;
      case Phase.Body:
        return this.remaining + TAG;
      case Phase.Tag:
        return TAG - this.smallBytes;
      case Phase.Done:
        return 1; // anything after the final frame is an error: enough to notice it
    }
  }

  /** The input ended: throws unless the final frame was seen. */
  final(): void {
    if (this.failed) throw this.failed;
    if (this.phase !== Phase.Done) throw new ObjectIntegrityError("The object is truncated.");
  }

  /**
   * Takes a fixed-size field starting at `off`: returned whole when complete (a view of the
   * input if it lies there entirely, else a copy), else kept until the next input.
   */
  private gather(input: Buffer, off: number, size: number): { bytes: Buffer | undefined; next: number } {
    if (this.smallBytes === 0 && input.length - off >= size) return { bytes: input.subarray(off, off + size), next: off + size };
    const take = Math.min(size - this.smallBytes, input.length - off);
    input.copy(this.small, this.smallBytes, off, off + take);
    this.smallBytes += take;
    if (this.smallBytes < size) return { bytes: undefined, next: off + take };
    this.smallBytes = 0;
    return { bytes: this.small.subarray(0, size), next: off + take };
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
    this.header = Buffer.from(h); // a copy: h may be a view of the caller's buffer
  }

  private startFrame(head: Buffer): void {
    const flag = head[0];
    const len = head.readUInt32BE(1);
    if (flag > 1 || len > this.chunkBytes) throw new ObjectIntegrityError("Malformed frame.");
    this.lastFrame = flag === 1;
    this.decipher = createDecipheriv("aes-256-gcm", this.dataKey!, nonce(this.prefix!, this.counter++, this.lastFrame)) as Decipher;
    this.decipher.setAAD(this.header!);
    this.remaining = len;
    this.phase = len ? Phase.Body : Phase.Tag;
  }

  private endFrame(tag: Buffer, out: Buffer[]): void {
    const decipher = this.decipher!;
    try {
      decipher.setAuthTag(tag);
      decipher.final(); // GCM: nothing left to emit, only the check
    } catch {
      this.plain = [];
      throw new ObjectIntegrityError("A frame failed authentication.");
    }
    for (const p of this.plain) if (p.length) out.push(p);
    this.plain = [];
    this.decipher = undefined;
    if (this.lastFrame) {
      this.phase = Phase.Done;
      this.dataKey?.fill(0);
    } else {
      this.phase = Phase.FrameHead;
    }
  }
}

/** The Sealer as a Transform stream. */
export class EncryptStream extends Transform {
  private readonly sealer: Sealer;

  constructor(kek: Buffer, objectKey: string, chunkBytes = DEFAULT_CHUNK_BYTES) {
    super();
    this.sealer = new Sealer(kek, objectKey, chunkBytes);
  }

  /** Plaintext bytes seen. */
  get plaintextBytes(): number {
    return this.sealer.plaintextBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const b of this.sealer.update(chunk)) this.push(b);
    done();
  }

  override _flush(done: TransformCallback): void {
    for (const b of this.sealer.final()) this.push(b);
    done();
  }
}

/** The Opener as a Transform stream. */
export class DecryptStream extends Transform {
  private readonly opener: Opener;

  constructor(kek: Buffer, objectKey: string) {
    super();
    this.opener = new Opener(kek, objectKey);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      for (const b of this.opener.update(chunk)) this.push(b);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.opener.final();
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}
