import { describe, expect, it } from "vitest";
import { acceptRequestId } from "./request-id";

describe("a client's X-Request-Id", () => {
  it.each(["req-12345678", "0f0e0d0c-0b0a-4908-8706-050403020100", "A".repeat(64)])("is kept when it is a plain token: %s", (id) => {
    expect(acceptRequestId(id)).toBe(id);
  });
  it.each([
    ["missing", undefined],
    ["null", null],
    ["too short", "abc"],
    ["too long", "A".repeat(65)],
    ["a line break (log injection)", "abcdefgh\nlevel=error forged"],
    ["spaces and quotes", 'abcdefgh" "x'],
    ["non-ASCII", "abcdéfgh"],
    ["sent twice", ["abcdefgh1", "abcdefgh2"]],
  ])("is replaced when %s", (_name, given) => {
    expect(acceptRequestId(given as string | string[] | null | undefined)).toBeUndefined();
  });
});
