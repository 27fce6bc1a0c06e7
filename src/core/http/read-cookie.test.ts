import { describe, expect, it } from "vitest";
import { readCookieHeader } from "./read-cookie";

describe("readCookieHeader", () => {
  it("finds one cookie among several and decodes it", () => {
    expect(readCookieHeader("a=1; cb_access=x%2Fy; b=2", "cb_access")).toBe("x/y");
    expect(readCookieHeader("a=1", "cb_access")).toBeUndefined();
    expect(readCookieHeader(undefined, "cb_access")).toBeUndefined();
  });

  it("does not throw on a value that is not valid percent-encoding", () => {
    expect(readCookieHeader("cb_access=%E0%A4%A", "cb_access")).toBe("%E0%A4%A");
  });
});
