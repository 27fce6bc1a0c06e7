import { describe, expect, it } from "vitest";
import { ageFrom, dayInZone, formatDate, formatDateTime, formatTime, formatTimeRange, isoDate, titleCase } from "./format";

describe("format", () => {
  it("computes age on and around the birthday", () => {
    expect(ageFrom("1980-04-02", new Date("2026-04-01T12:00:00Z"))).toBe(45);
    expect(ageFrom("1980-04-02", new Date("2026-04-02T12:00:00Z"))).toBe(46);
    expect(ageFrom("2000-12-31", new Date("2026-01-01T00:00:00Z"))).toBe(25);
  });
  it("keeps calendar dates in their day whatever the time zone", () => {
    expect(formatDate("1980-04-02")).toBe("Apr 2, 1980");
    expect(formatDate("1980-04-02", "Pacific/Kiritimati")).toBe("Apr 2, 1980");
    expect(formatDate("1980-04-02", "Pacific/Pago_Pago")).toBe("Apr 2, 1980");
    expect(formatDate(null)).toBe("—");
  });
  it("normalises dates and labels", () => {
    expect(isoDate(new Date("2026-11-23T10:00:00Z"))).toBe("2026-11-23");
    expect(isoDate("2026-11-23")).toBe("2026-11-23");
    expect(titleCase("blood_type")).toBe("Blood Type");
  });
});

describe("instants in the clinic's time zone", () => {
  // 02:30 UTC on 1 July: still 30 June in New York (EDT, UTC-4), 08:00 in Kolkata (IST, UTC+5:30)
  const at = "2026-07-01T02:30:00Z";

  it("put an instant on the clinic's calendar day, not the server's or the browser's", () => {
    expect(formatDate(at, "America/New_York")).toBe("Jun 30, 2026");
    expect(formatDate(new Date(at), "Asia/Kolkata")).toBe("Jul 1, 2026");
    expect(dayInZone(at, "America/New_York")).toBe("2026-06-30");
    expect(dayInZone(at, "Asia/Kolkata")).toBe("2026-07-01");
  });

  it("write date and time with the zone's abbreviation, plain spaces only", () => {
    expect(formatDateTime(at, "America/New_York")).toBe("Jun 30, 2026, 10:30 PM EDT");
    expect(formatDateTime(at, "Asia/Kolkata")).toBe("Jul 1, 2026, 8:00 AM GMT+5:30");
    expect(formatDateTime(at, "UTC", { seconds: true })).toBe("Jul 1, 2026, 2:30:00 AM UTC");
    expect(formatDateTime(at, "UTC", { zone: false })).toBe("Jul 1, 2026, 2:30 AM");
    expect(formatDateTime(at, "America/New_York")).not.toMatch(/[\u202f\u00a0]/);
  });

  it("follow daylight saving time: the same wall clock is EST in winter, EDT in summer", () => {
    expect(formatTime("2026-01-15T15:00:00Z", "America/New_York")).toBe("10:00 AM EST");
    expect(formatTime("2026-07-15T14:00:00Z", "America/New_York")).toBe("10:00 AM EDT");
    expect(formatTime("2026-07-15T14:00:00Z", "America/New_York", { zone: false })).toBe("10:00 AM");
  });

  it("give an appointment's span with the zone once, at its end", () => {
    expect(formatTimeRange("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z", "America/New_York")).toBe("Wed, Jul 15, 2026, 10:00 AM–10:30 AM EDT");
    expect(formatTimeRange("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z", "Asia/Kolkata")).toBe("Wed, Jul 15, 2026, 7:30 PM–8:00 PM GMT+5:30");
  });

  it("do not depend on the process's own zone (the server's) at all", () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Honolulu";
      expect(formatDateTime(at, "Asia/Kolkata")).toBe("Jul 1, 2026, 8:00 AM GMT+5:30");
      expect(formatDate(at, "Asia/Kolkata")).toBe("Jul 1, 2026");
    } finally {
      process.env.TZ = before;
    }
  });
});
