import type { GetVitalsResult } from "@/core/vitals/get-vitals.types";

/**
 * The time ranges the vitals charts offer, each with the server-side bucket that keeps it
 * to at most ~170 points per series (the API never sends more than 500): the browser never
 * receives, nor draws, thousands of samples.
 */
export const VITALS_RANGES = [
  { id: "hour", label: "Hour", phrase: "the last hour", seconds: 3600, bucket: "1m", bucketSeconds: 60 },
  { id: "day", label: "Day", phrase: "the last 24 hours", seconds: 86_400, bucket: "15m", bucketSeconds: 900 },
  { id: "week", label: "Week", phrase: "the last 7 days", seconds: 7 * 86_400, bucket: "1h", bucketSeconds: 3600 },
  { id: "month", label: "Month", phrase: "the last 30 days", seconds: 30 * 86_400, bucket: "6h", bucketSeconds: 21_600 },
] as const;

export type VitalsRange = (typeof VITALS_RANGES)[number];
export type VitalsRangeId = VitalsRange["id"];

export function vitalsRange(id: VitalsRangeId): VitalsRange {
  return VITALS_RANGES.find((r) => r.id === id) ?? VITALS_RANGES[0];
}

export interface VitalsQuery {
  from: string;
  to: string;
  bucket: VitalsRange["bucket"];
}

/**
 * The API query for a range ending now. `to` is the end of the bucket that holds `now`, so
 * the newest samples always fall inside the window and every bucket is whole (the server
 * aligns buckets to multiples of their size since the epoch).
 */
export function rangeQuery(id: VitalsRangeId, now: number): VitalsQuery {
  const r = vitalsRange(id);
  const size = r.bucketSeconds * 1000;
  const to = (Math.floor(now / size) + 1) * size;
  return { from: new Date(to - r.seconds * 1000).toISOString(), to: new Date(to).toISOString(), bucket: r.bucket };
}

/** The query string for GET /api/v1/patients/{id}/vitals (times and metric names only). */
export function vitalsSearch(q: VitalsQuery): string {
  return new URLSearchParams({ metric: "heart_rate,steps", from: q.from, to: q.to, bucket: q.bucket }).toString();
}

/** One bucket of the chart; null where nothing was measured (drawn as a gap, not a zero). */
export interface VitalsPoint {
  /** start of the bucket, ms since the epoch */
  t: number;
  hr: number | null;
  hrMin: number | null;
  hrMax: number | null;
  /** [min, max] for the band, or null */
  hrRange: [number, number] | null;
  hrCount: number;
  steps: number | null;
}

export interface VitalsSeries {
  from: number;
  to: number;
  bucketSeconds: number;
  points: VitalsPoint[];
}

const emptyPoint = (t: number): VitalsPoint => ({ t, hr: null, hrMin: null, hrMax: null, hrRange: null, hrCount: 0, steps: null });

/**
 * Turns the API's answer into one point per bucket across the whole window, so the x axis
 * is continuous and missing stretches show as gaps. Bucketed answers are used as they are
 * (the server may widen the bucket it was asked for); raw samples are grouped into
 * `fallbackBucketSeconds`.
 */
export function buildSeries(result: GetVitalsResult, fallbackBucketSeconds: number): VitalsSeries {
  const bucketSeconds = result.bucket_seconds ?? fallbackBucketSeconds;
  const size = bucketSeconds * 1000;
  const from = Date.parse(result.from);
  const to = Date.parse(result.to);
  const first = Math.floor(from / size) * size;
  const points: VitalsPoint[] = [];
  for (let t = first; t < to && points.length < 2000; t += size) points.push(emptyPoint(t));
  const at = (t: number): VitalsPoint | undefined => points[Math.floor((t - first) / size)];

  if (result.bucket_seconds !== null) {
    for (const b of result.data) {
      const p = at(Date.parse(b.t));
      if (!p) continue;
      if (b.metric === "heart_rate") {
        p.hr = b.avg;
        p.hrMin = b.min;
        p.hrMax = b.max;
        p.hrCount = b.count;
      } else if (b.metric === "steps") {
        p.steps = b.sum;
      }
    }
  } else {
    const hrSum = new Map<VitalsPoint, number>();
    for (const s of result.data) {
      const p = at(Date.parse(s.recorded_at));
      if (!p) continue;
      if (s.metric === "heart_rate") {
        p.hrCount += 1;
        hrSum.set(p, (hrSum.get(p) ?? 0) + s.value);
        p.hrMin = p.hrMin === null ? s.value : Math.min(p.hrMin, s.value);
        p.hrMax = p.hrMax === null ? s.value : Math.max(p.hrMax, s.value);
      } else if (s.metric === "steps") {
        p.steps = (p.steps ?? 0) + s.value;
      }
    }
    for (const [p, sum] of hrSum) p.hr = Math.round((sum / p.hrCount) * 100) / 100;
  }
  for (const p of points) if (p.hrMin !== null && p.hrMax !== null) p.hrRange = [p.hrMin, p.hrMax];
  return { from, to, bucketSeconds, points };
}

export interface VitalsSummary {
  hasData: boolean;
  /** the newest bucket with a heart rate: its average */
  latestHr: { value: number; t: number } | null;
  hrMin: number | null;
  hrMax: number | null;
  /** sample-weighted average over the window */
  hrAvg: number | null;
  stepsTotal: number;
  /** the busiest bucket */
  stepsPeak: { value: number; t: number } | null;
}

/** The figures the text summary (and screen readers) give for the window. */
export function summarize(series: VitalsSeries): VitalsSummary {
  let latestHr: VitalsSummary["latestHr"] = null;
  let hrMin: number | null = null;
  let hrMax: number | null = null;
  let weighted = 0;
  let count = 0;
  let stepsTotal = 0;
  let stepsPeak: VitalsSummary["stepsPeak"] = null;
  let hasData = false;
  for (const p of series.points) {
    if (p.hr !== null) {
      hasData = true;
      latestHr = { value: p.hr, t: p.t };
      hrMin = hrMin === null ? p.hrMin ?? p.hr : Math.min(hrMin, p.hrMin ?? p.hr);
      hrMax = hrMax === null ? p.hrMax ?? p.hr : Math.max(hrMax, p.hrMax ?? p.hr);
      const n = Math.max(p.hrCount, 1);
      weighted += p.hr * n;
      count += n;
    }
    if (p.steps !== null) {
      hasData = true;
      stepsTotal += p.steps;
      if (stepsPeak === null || p.steps > stepsPeak.value) stepsPeak = { value: p.steps, t: p.t };
    }
  }
  return { hasData, latestHr, hrMin, hrMax, hrAvg: count ? Math.round(weighted / count) : null, stepsTotal, stepsPeak };
}

/**
 * X-axis ticks at round times of the viewer's own clock (this runs in the browser, so
 * `Date`'s local fields are the viewer's time zone): quarter hours for the hour, every
 * four hours for the day, midnights for the week, every seventh midnight for the month.
 */
export function timeTicks(id: VitalsRangeId, from: number, to: number): number[] {
  const d = new Date(from);
  let step: (d: Date) => void;
  switch (id) {
    case "hour":
      d.setSeconds(0, 0);
      d.setMinutes(Math.ceil(d.getMinutes() / 15) * 15);
      step = (x) => x.setMinutes(x.getMinutes() + 15);
      break;
    case "day":
      d.setMinutes(0, 0, 0);
      d.setHours(Math.ceil(d.getHours() / 4) * 4);
      step = (x) => x.setHours(x.getHours() + 4);
      break;
    case "week":
    case "month":
      d.setHours(0, 0, 0, 0);
      if (d.getTime() < from) d.setDate(d.getDate() + 1);
      step = id === "week" ? (x) => x.setDate(x.getDate() + 1) : (x) => x.setDate(x.getDate() + 7);
      break;
  }
  const ticks: number[] = [];
  for (let i = 0; i < 64 && d.getTime() <= to; i++, step(d)) {
    if (d.getTime() >= from) ticks.push(d.getTime());
  }
  return ticks;
}
