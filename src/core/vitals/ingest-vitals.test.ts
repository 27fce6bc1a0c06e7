import { describe, expect, it } from "vitest";
import { checkSamples } from "./ingest-vitals";
import { bucketFor } from "./get-vitals";

const now = Date.parse("2026-01-01T12:00:00Z");
const s = (over: Record<string, unknown> = {}) => ({ metric: "heart_rate", value: 70, unit: "bpm", recorded_at: "2026-01-01T11:59:00Z", ...over });

describe("checkSamples", () => {
  it("accepts every metric in its unit and range", () => {
    const ok = checkSamples({
      samples: [
        s(), s({ metric: "steps", value: 0, unit: "count" }), s({ metric: "spo2", value: 98, unit: "%" }),
        s({ metric: "bp_systolic", value: 120, unit: "mmHg" }), s({ metric: "bp_diastolic", value: 80, unit: "mmHg" }),
        s({ metric: "weight", value: 70.5, unit: "kg" }), s({ metric: "temperature", value: 36.6, unit: "C" }),
        s({ recorded_at: "2026-01-01T12:04:59+00:00" }),
      ],
    }, now);
    expect(ok).toHaveLength(8);
    expect(ok[7].recordedAt).toBe("2026-01-01T12:04:59.000Z");
  });

  it.each([
    [s({ value: 19 }), "value"], [s({ value: 251 }), "value"], [s({ value: Number.NaN }), "value"],
    [s({ metric: "spo2", value: 101, unit: "%" }), "value"], [s({ metric: "glucose", unit: "mg/dL" }), "metric"],
    [s({ unit: "BPM" }), "unit"], [s({ recorded_at: "2026-01-01T12:05:01Z" }), "recorded_at"],
    [s({ recorded_at: "2026-01-01 11:00" }), "recorded_at"], [s({ recorded_at: "2019-01-01T00:00:00Z" }), "recorded_at"],
    [s({ metric: "steps", unit: "count", value: 2.5 }), "value"],
  ])("refuses %j, naming its index and field", (bad, field) => {
    expect(() => checkSamples({ samples: [s(), bad] }, now)).toThrow(expect.objectContaining({ status: 422, fields: { [`samples.1.${field}`]: expect.any(String) } }));
  });

  it("refuses empty and oversized batches", () => {
    expect(() => checkSamples({ samples: [] }, now)).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => checkSamples({ samples: Array.from({ length: 1001 }, () => s()) }, now)).toThrow(expect.objectContaining({ status: 413 }));
  });
});

describe("bucketFor", () => {
  it("keeps any range within 500 points", () => {
    for (const range of [3600, 86400, 7 * 86400, 31 * 86400, 400 * 86400]) {
      expect(range / bucketFor(range)).toBeLessThanOrEqual(500);
    }
    expect(bucketFor(3600)).toBe(60);
  });
});
