import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { canCollectYoungGarbage, collectYoungGarbage } from "./young-garbage";

const MiB = 1024 * 1024;

function discard(bytes: number): void {
  const kept: Buffer[] = [];
  for (let n = 0; n < bytes; n += 64 * 1024) kept.push(Buffer.allocUnsafe(64 * 1024).fill(1));
  kept.length = 0;
}

describe("collectYoungGarbage", () => {
  it("frees discarded Buffers with a scavenge", async () => {
    expect(canCollectYoungGarbage()).toBe(true);
    collectYoungGarbage();
    const before = process.memoryUsage().arrayBuffers;
    discard(16 * MiB);
    collectYoungGarbage();
    // the backing stores are released by V8's array-buffer sweeper just after the scavenge
    let after = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 100 && after - before > 4 * MiB; i++) {
      await new Promise((r) => setTimeout(r, 10));
      after = process.memoryUsage().arrayBuffers;
    }
    expect(after - before).toBeLessThan(4 * MiB);
  });

  it("leaves no `gc` in the main context or in contexts made afterwards", () => {
    collectYoungGarbage();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(runInNewContext("typeof gc")).toBe("undefined");
  });
});
