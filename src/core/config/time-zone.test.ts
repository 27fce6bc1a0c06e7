import { describe, expect, it } from "vitest";
import { clinicDayBounds, clinicTimeZone, startOfDateInZone } from "./time-zone";

describe("clinic time zone", () => {
  it("takes CLINIC_TIME_ZONE and refuses a name that is not a zone", () => {
    expect(clinicTimeZone({ CLINIC_TIME_ZONE: "Asia/Kolkata" })).toBe("Asia/Kolkata");
    expect(() => clinicTimeZone({ CLINIC_TIME_ZONE: "Mars/Olympus" })).toThrow(/IANA/);
  });

  it("finds midnight in the zone, across a DST change", () => {
    expect(startOfDateInZone("2026-12-06", "Asia/Kolkata").toISOString()).toBe("2026-12-05T18:30:00.000Z");
    expect(startOfDateInZone("2026-03-08", "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfDateInZone("2026-03-09", "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
  });

  it("gives the clinic day around an instant", () => {
    const b = clinicDayBounds(new Date("2026-12-06T02:00:00Z"), "America/New_York");
    expect(b.date).toBe("2026-12-05");
    expect(b.start.toISOString()).toBe("2026-12-05T05:00:00.000Z");
    expect(b.end.toISOString()).toBe("2026-12-06T05:00:00.000Z");
  });
});
