import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PayloadTooLargeError } from "../errors";
import { parseJson, readBodyText } from "./parse";

const CAP = 256 * 1024;
const CHUNK = 64 * 1024;

/** A chunked upload (no Content-Length) whose body is the given stream. */
function streamingRequest(body: ReadableStream<Uint8Array>): Request {
  return new Request("http://localhost/api/v1/auth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
}

/** A body that never ends: 64 KB chunks forever, counting what was pulled and whether it was cancelled. */
function endlessBody() {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

function chunksOf(...parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(p);
      controller.close();
    },
  });
}

describe("request bodies are capped while they stream", () => {
  it("refuses a chunked body that never ends after reading little more than the cap, and cancels it", async () => {
    const { stream, state } = endlessBody();
    await expect(parseJson(streamingRequest(stream), z.object({}))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(state.cancelled).toBe(true);
    // the cap, the chunk that crossed it, and what the stream queued ahead (its high-water mark is one chunk)
    expect(state.pulled).toBeLessThanOrEqual(CAP + 2 * CHUNK);
  });

  it("refuses a 10 MB chunked body with 413 without reading it all", async () => {
    let pulled = 0;
    const total = 10 * 1024 * 1024;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
      },
    });
    const error = await readBodyText(streamingRequest(stream), CAP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).status).toBe(413);
    expect(pulled).toBeLessThan(CAP + 3 * CHUNK);
  });

  it("refuses at once when the declared Content-Length is over the cap", async () => {
    const { stream, state } = endlessBody();
    const req = new Request("http://localhost/x", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(CAP + 1) },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expect(parseJson(req, z.object({}))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(state.pulled).toBeLessThanOrEqual(CHUNK);
  });

  it("accepts a body of exactly the cap", async () => {
    const text = await readBodyText(streamingRequest(chunksOf(new Uint8Array(CAP).fill(0x61))), CAP);
    expect(text.length).toBe(CAP);
  });

  it("decodes UTF-8 characters split across chunks", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ name: "Zoë Ōtsuka 👩‍⚕️" }));
    // split one byte at a time: every multi-byte character crosses a chunk boundary
    const stream = chunksOf(...Array.from(bytes, (b) => Uint8Array.of(b)));
    const body = await parseJson(streamingRequest(stream), z.object({ name: z.string() }));
    expect(body.name).toBe("Zoë Ōtsuka 👩‍⚕️");
  });

  it("answers 400 when the body breaks off", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":'));
        controller.error(new Error("socket hang up"));
      },
    });
    await expect(parseJson(streamingRequest(stream), z.object({}))).rejects.toMatchObject({ status: 400, code: "body_interrupted" });
  });
});
