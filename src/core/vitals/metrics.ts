/**
 * The vital signs Carebase accepts, each in exactly one unit, with the range a living
 * person can show. Values outside it are refused (422), not clamped: a watch that sends
 * a heart rate of 400 is broken, and a chart should not silently draw it.
 */
export const METRICS = {
  heart_rate: { unit: "bpm", min: 20, max: 250 },
  steps: { unit: "count", min: 0, max: 100_000 },
  spo2: { unit: "%", min: 50, max: 100 },
  bp_systolic: { unit: "mmHg", min: 50, max: 260 },
  bp_diastolic: { unit: "mmHg", min: 30, max: 160 },
  weight: { unit: "kg", min: 0.5, max: 500 },
  temperature: { unit: "C", min: 30, max: 45 },
} as const;

export type Metric = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

export function isMetric(name: string): name is Metric {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

/** Steps are counted, so their buckets also carry a sum; the others are averaged. */
export const INTEGER_METRICS: ReadonlySet<Metric> = new Set(["steps"]);
