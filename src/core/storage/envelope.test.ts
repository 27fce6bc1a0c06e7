import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { DecryptStream, EncryptStream, HEADER_BYTES, Opener, Sealer } from "./envelope";
import { ObjectIntegrityError } from "./object-store";

const kek = randomBytes(32);
const KEY = "00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000002";

async function seal(plain: Buffer, chunk = 1024, key = KEY): Promise<Buffer> {
  return buffer(Readable.from([plain]).pipe(new EncryptStream(kek, key, chunk)));
}
async function open(sealed: Buffer, key = KEY, pieces = 7): Promise<Buffer> {
  // feed in odd-sized pieces to exercise frame reassembly
  const parts: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += pieces) parts.push(sealed.subarray(i, i + pieces));
  return buffer(Readable.from(parts.length ? parts : [Buffer.alloc(0)]).pipe(new DecryptStream(kek, key)));
}

describe("chunked AES-256-GCM envelope", () => {
  it.each([0, 1, 1023, 1024, 1025, 5000, 4096])("round-trips %i bytes", async (n) => {
    const plain = randomBytes(n);
    const sealed = await seal(plain);
    expect(sealed.length).toBeGreaterThan(HEADER_BYTES);
    expect(await open(sealed)).toEqual(plain);
  });

  it("never stores the plaintext", async () => {
    const plain = Buffer.from("Potassium 7.1 mmol/L CRITICAL ".repeat(200));
    const sealed = await seal(plain);
    expect(sealed.includes(Buffer.from("Potassium"))).toBe(false);
  });

  it("uses a fresh data key per object (same bytes, different ciphertext)", async () => {
    const plain = randomBytes(100);
    expect((await seal(plain)).equals(await seal(plain))).toBe(false);
  });

  it("fails on any flipped byte instead of yielding corrupt bytes", async () => {
    const plain = randomBytes(3000);
    const sealed = await seal(plain);
    for (const at of [0, 10, 40, 70, HEADER_BYTES + 2, HEADER_BYTES + 300, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x01;
      await expect(open(bad), `byte ${at}`).rejects.toBeInstanceOf(ObjectIntegrityError);
    }
  });

  it("releases only verified chunks before a tampered one", async () => {
    const plain = randomBytes(4000);
    const sealed = await seal(plain);
    const bad = Buffer.from(sealed);
    bad[bad.length - 21 - 100] ^= 0xff; // inside the last data frame (the final frame is 21 bytes)
    const got: Buffer[] = [];
    const d = Readable.from([bad]).pipe(new DecryptStream(kek, KEY));
    await expect(
      (async () => {
        for await (const c of d) got.push(c as Buffer);
      })(),
    ).rejects.toBeInstanceOf(ObjectIntegrityError);
    const released = Buffer.concat(got);
    expect(released.length).toBeLessThan(plain.length);
    expect(released).toEqual(plain.subarray(0, released.length));

    // the opener itself hands over the frames that verified before the damage, then fails
    const opener = new Opener(kek, KEY);
    expect(Buffer.concat(opener.update(bad))).toEqual(plain.subarray(0, 3 * 1024));
    expect(() => opener.final()).toThrow(ObjectIntegrityError);
    expect(() => opener.update(Buffer.alloc(1))).toThrow(ObjectIntegrityError);
  });

  it("keeps no reference to its input on either side (callers may reuse their buffers)", () => {
    const plain = randomBytes(10_000);
    const scratch = Buffer.alloc(3000);
    const sealer = new Sealer(kek, KEY, 1024);
    const sealedParts: Buffer[] = [];
    for (let i = 0; i < plain.length; i += 3000) {
      const n = plain.copy(scratch, 0, i, i + 3000);
      sealedParts.push(...sealer.update(scratch.subarray(0, n)).map((b) => Buffer.from(b)));
      scratch.fill(0xee); // the next read overwrites the buffer
    }
    sealedParts.push(...sealer.final());
    const sealed = Buffer.concat(sealedParts);

    const opener = new Opener(kek, KEY);
    const out: Buffer[] = [];
    for (let i = 0; i < sealed.length; i += 777) {
      const n = sealed.copy(scratch, 0, i, i + 777);
      out.push(...opener.update(scratch.subarray(0, n)));
      scratch.fill(0xee);
    }
    opener.final();
    expect(Buffer.concat(out)).toEqual(plain);
  });

  it("gives one plaintext piece per frame to a reader that reads what the opener wants", async () => {
    const plain = randomBytes(5 * 1024 + 10);
    const sealed = await seal(plain);
    const opener = new Opener(kek, KEY);
    const pieces: Buffer[] = [];
    let at = 0;
    while (at < sealed.length) {
      const n = Math.min(opener.wanted(), sealed.length - at);
      pieces.push(...opener.update(sealed.subarray(at, at + n)));
      at += n;
    }
    opener.final();
    expect(pieces.map((p) => p.length)).toEqual([1024, 1024, 1024, 1024, 1024, 10]);
    expect(Buffer.concat(pieces)).toEqual(plain);
  });

  it("detects truncation, extension and a file moved to another key", async () => {
    const sealed = await seal(randomBytes(3000));
    await expect(open(sealed.subarray(0, sealed.length - 1000))).rejects.toBeInstanceOf(ObjectIntegrityError);
    await expect(open(sealed.subarray(0, HEADER_BYTES + 1024 + 21))).rejects.toBeInstanceOf(ObjectIntegrityError);
    await expect(open(Buffer.concat([sealed, Buffer.from([0, 0, 0, 0, 0])]))).rejects.toBeInstanceOf(ObjectIntegrityError);
    const other = "00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000003";
    await expect(open(sealed, other)).rejects.toBeInstanceOf(ObjectIntegrityError);
  });
});
