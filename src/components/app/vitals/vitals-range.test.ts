import { describe, expect, it } from "vitest";
import { BUCKET_SECONDS, MAX_POINTS_PER_SERIES } from "@/core/vitals/get-vitals.types";
import { bucketFor } from "@/core/vitals/get-vitals";
import { VITALS_RANGES, buildSeries, rangeQuery, summarize, timeTicks, vitalsSearch } from "./vitals-range";

const NOW = Date.parse("2026-03-10T14:37:21.500Z");

describe("rangeQuery", () => {
  it.each(VITALS_RANGES.map((r) => [r.id, r] as const))("%s: ends after now on a bucket boundary and spans the range", (id, r) => {
    const q = rangeQuery(id, NOW);
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    expect(to).toBeGreaterThan(NOW);
    expect(to - NOW).toBeLessThanOrEqual(r.bucketSeconds * 1000);
    expect(to % (r.bucketSeconds * 1000)).toBe(0);
    expect(to - from).toBe(r.seconds * 1000);
    expect(q.bucket).toBe(r.bucket);
  });

  it("asks for buckets the API knows, never below what the server would widen them to, and few points", () => {
    for (const r of VITALS_RANGES) {
      expect(BUCKET_SECONDS[r.bucket]).toBe(r.bucketSeconds);
      expect(r.bucketSeconds).toBeGreaterThanOrEqual(bucketFor(r.seconds));
      expect(r.seconds / r.bucketSeconds).toBeLessThanOrEqual(200);
      expect(r.seconds / r.bucketSeconds).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    }
  });

  it("a sample stamped exactly on a boundary is inside the window", () => {
    const q = rangeQuery("hour", Date.parse("2026-03-10T14:37:00.000Z"));
    expect(q.to).toBe("2026-03-10T14:38:00.000Z");
    expect(q.from).toBe("2026-03-10T13:38:00.000Z");
  });

  it("builds a query string with times and metric names only", () => {
    const s = new URLSearchParams(vitalsSearch(rangeQuery("day", NOW)));
    expect([...s.keys()].sort()).toEqual(["bucket", "from", "metric", "to"]);
    expect(s.get("metric")).toBe("heart_rate,steps");
    expect(s.get("bucket")).toBe("15m");
  });
});

describe("buildSeries", () => {
  const from = "2026-03-10T13:38:00.000Z";
  const to = "2026-03-10T14:38:00.000Z";

  it("lays out one point per bucket with gaps as nulls, from bucketed data", () => {
    const s = buildSeries(
      {
        patient_id: "p",
        from,
        to,
        bucket_seconds: 60,
        data: [
          { metric: "heart_rate", unit: "bpm", t: "2026-03-10T13:40:00.000Z", avg: 71.5, min: 64, max: 80, sum: 143, count: 2 },
          { metric: "steps", unit: "count", t: "2026-03-10T13:40:00.000Z", avg: 10, min: 5, max: 15, sum: 20, count: 2 },
          { metric: "heart_rate", unit: "bpm", t: "2026-03-10T14:37:00.000Z", avg: 90, min: 88, max: 92, sum: 180, count: 2 },
        ],
      },
      60,
    );
    expect(s.points).toHaveLength(60);
    expect(s.points[0].t).toBe(Date.parse(from));
    expect(s.points[0].hr).toBeNull();
    expect(s.points[0].steps).toBeNull();
    expect(s.points[2]).toMatchObject({ hr: 71.5, hrRange: [64, 80], steps: 20, hrCount: 2 });
    expect(s.points[59]).toMatchObject({ hr: 90, hrRange: [88, 92], steps: null });
  });

  it("uses the bucket the server answered with when it widened it", () => {
    const s = buildSeries({ patient_id: "p", from, to, bucket_seconds: 300, data: [] }, 60);
    expect(s.bucketSeconds).toBe(300);
    // 13:35 … 14:35: the window's partial buckets at both ends are kept
    expect(s.points).toHaveLength(13);
    expect(s.points[0].t).toBe(Date.parse("2026-03-10T13:35:00.000Z"));
  });

  it("groups raw samples into the requested bucket", () => {
    const s = buildSeries(
      {
        patient_id: "p",
        from,
        to,
        bucket_seconds: null,
        data: [
          { id: "1", metric: "heart_rate", value: 60, unit: "bpm", recorded_at: "2026-03-10T14:00:01.000Z", source: "device" },
          { id: "2", metric: "heart_rate", value: 70, unit: "bpm", recorded_at: "2026-03-10T14:00:59.000Z", source: "device" },
          { id: "3", metric: "steps", value: 12, unit: "count", recorded_at: "2026-03-10T14:00:10.000Z", source: "device" },
          { id: "4", metric: "steps", value: 8, unit: "count", recorded_at: "2026-03-10T14:00:20.000Z", source: "device" },
          { id: "5", metric: "heart_rate", value: 99, unit: "bpm", recorded_at: "2026-03-10T15:00:00.000Z", source: "device" },
        ],
      },
      60,
    );
    const p = s.points.find((x) => x.t === Date.parse("2026-03-10T14:00:00.000Z"))!;
    expect(p).toMatchObject({ hr: 65, hrMin: 60, hrMax: 70, hrRange: [60, 70], hrCount: 2, steps: 20 });
    expect(s.points.filter((x) => x.hr !== null)).toHaveLength(1); // the one outside the window is dropped
  });
});

describe("summarize", () => {
  it("gives the latest heart rate, the range, a sample-weighted average and the steps", () => {
    const s = buildSeries(
      {
        patient_id: "p",
        from: "2026-03-10T13:38:00.000Z",
        to: "2026-03-10T14:38:00.000Z",
        bucket_seconds: 60,
        data: [
          { metric: "heart_rate", unit: "bpm", t: "2026-03-10T13:40:00.000Z", avg: 60, min: 55, max: 65, sum: 180, count: 3 },
          { metric: "heart_rate", unit: "bpm", t: "2026-03-10T14:00:00.000Z", avg: 100, min: 90, max: 120, sum: 100, count: 1 },
          { metric: "steps", unit: "count", t: "2026-03-10T13:50:00.000Z", avg: 5, min: 0, max: 10, sum: 40, count: 4 },
          { metric: "steps", unit: "count", t: "2026-03-10T14:10:00.000Z", avg: 5, min: 0, max: 10, sum: 75, count: 4 },
        ],
      },
      60,
    );
    const sum = summarize(s);
    expect(sum.hasData).toBe(true);
    expect(sum.latestHr).toEqual({ value: 100, t: Date.parse("2026-03-10T14:00:00.000Z") });
    expect(sum.hrMin).toBe(55);
    expect(sum.hrMax).toBe(120);
    expect(sum.hrAvg).toBe(70); // (60*3 + 100*1) / 4
    expect(sum.stepsTotal).toBe(115);
    expect(sum.stepsPeak).toEqual({ value: 75, t: Date.parse("2026-03-10T14:10:00.000Z") });
  });

  it("says there is nothing when the window is empty", () => {
    const sum = summarize(buildSeries({ patient_id: "p", from: "2026-03-10T13:38:00.000Z", to: "2026-03-10T14:38:00.000Z", bucket_seconds: 60, data: [] }, 60));
    expect(sum).toEqual({ hasData: false, latestHr: null, hrMin: null, hrMax: null, hrAvg: null, stepsTotal: 0, stepsPeak: null });
  });
});

describe("timeTicks", () => {
  it.each(VITALS_RANGES.map((r) => [r.id, r] as const))("%s: a handful of round local times inside the window", (id, r) => {
    const q = rangeQuery(id, NOW);
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    const ticks = timeTicks(id, from, to);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(8);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(from);
      expect(t).toBeLessThanOrEqual(to);
      const d = new Date(t);
      expect(d.getSeconds()).toBe(0);
      if (r.id === "hour") expect(d.getMinutes() % 15).toBe(0);
      if (r.id === "day") expect([d.getMinutes(), d.getHours() % 4]).toEqual([0, 0]);
      if (r.id === "week" || r.id === "month") expect([d.getHours(), d.getMinutes()]).toEqual([0, 0]);
    }
    expect([...ticks].sort((a, b) => a - b)).toEqual(ticks);
  });
});
