import { describe, expect, it } from "vitest";
import { ageFrom, formatDate, isoDate, titleCase } from "./format";

describe("format", () => {
  it("computes age on and around the birthday", () => {
    expect(ageFrom("1980-04-02", new Date("2026-04-01T12:00:00Z"))).toBe(45);
    expect(ageFrom("1980-04-02", new Date("2026-04-02T12:00:00Z"))).toBe(46);
    expect(ageFrom("2000-12-31", new Date("2026-01-01T00:00:00Z"))).toBe(25);
  });
  it("keeps calendar dates in their day whatever the time zone", () => {
    expect(formatDate("1980-04-02")).toBe("Apr 2, 1980");
    expect(formatDate(null)).toBe("—");
  });
  it("normalises dates and labels", () => {
    expect(isoDate(new Date("2026-11-23T10:00:00Z"))).toBe("2026-11-23");
    expect(isoDate("2026-11-23")).toBe("2026-11-23");
    expect(titleCase("blood_type")).toBe("Blood Type");
  });
});
