import { describe, expect, it } from "vitest";
import { ZClientFrame } from "./protocol";
import { isCallTopic, parseCallTopic } from "./call-frames";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("call topics and signal frames", () => {
  it("parses appointment:<uuid>:call, case-insensitively, and nothing else", () => {
    expect(parseCallTopic(`appointment:${ID.toUpperCase()}:call`)).toEqual({ topic: `appointment:${ID}:call`, appointmentId: ID });
    expect(parseCallTopic(`appointment:${ID}:chart`)).toBeNull();
    expect(parseCallTopic(`patient:${ID}:call`)).toBeNull();
    expect(parseCallTopic("appointment:x:call")).toBeNull();
    expect(isCallTopic(`appointment:${ID}:call`)).toBe(true);
    expect(isCallTopic(`patient:${ID}:chart`)).toBe(false);
  });

  it("a signal frame names a known kind; unknown kinds, fields or a malformed recipient are invalid messages", () => {
    const topic = `appointment:${ID}:call`;
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "offer", to: ID, data: { sdp: "v=0" } }).success).toBe(true);
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "join" }).success).toBe(true);
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "started" }).success).toBe(false); // the server's own
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "offer", to: "someone" }).success).toBe(false);
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "offer", extra: 1 }).success).toBe(false);
    expect(ZClientFrame.safeParse({ type: "signal", topic, kind: "offer", data: "sdp" }).success).toBe(false);
  });
});
