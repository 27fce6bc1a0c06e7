import { afterEach, describe, expect, it, vi } from "vitest";
import { randomUUID } from "node:crypto";
import { signAccessToken, verifyAccessToken } from "./tokens";
import type { Session } from "./session-types";

const session = (): Session => ({ userId: randomUUID(), role: "provider", sessionId: randomUUID(), aal: "aal1" });

describe("verifyAccessToken and its cache of verified tokens", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers the same claims the second time, and a copy the caller may change", async () => {
    const s = session();
    const token = await signAccessToken(s, 60);
    const first = await verifyAccessToken(token);
    expect(first).toEqual(s);
    first.role = "admin";
    expect(await verifyAccessToken(token)).toEqual(s);
  });

  it("refuses a token once it has expired, although it was verified while valid", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const token = await signAccessToken(session(), 60);
    await verifyAccessToken(token);
    vi.setSystemTime(Date.now() + 61_000);
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_expired" });
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ code: "token_expired" });
  });

  it("does not take a token that differs from a verified one by a character", async () => {
    const token = await signAccessToken(session(), 60);
    await verifyAccessToken(token);
    const i = token.lastIndexOf(".") + 5; // inside the signature, away from its padding bits
    const other = token[i] === "A" ? "B" : "A";
    await expect(verifyAccessToken(token.slice(0, i) + other + token.slice(i + 1))).rejects.toMatchObject({ code: "invalid_token" });
  });
});
