import { z } from "zod";
import { METRIC_NAMES } from "./metrics";

/** Never more than this many points per series leave the server. */
export const MAX_POINTS_PER_SERIES = 500;
export const MAX_RANGE_DAYS = 400;

const BUCKETS = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400 } as const;
export const BUCKET_SECONDS: Record<string, number> = BUCKETS;

export const ZGetVitalsQuery = z.strictObject({
  metric: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",").map((m) => m.trim()) : undefined))
    .pipe(z.array(z.enum(METRIC_NAMES as [string, ...string[]])).max(METRIC_NAMES.length).optional()),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** raw | auto (default: raw when it fits in 500 points, else buckets) | 1m 5m 15m 1h 6h 1d */
  bucket: z.enum(["raw", "auto", ...(Object.keys(BUCKETS) as [string, ...string[]])]).optional(),
});
export type TGetVitalsQuery = z.output<typeof ZGetVitalsQuery>;

export interface VitalSampleView {
  id: string;
  metric: string;
  value: number;
  unit: string;
  recorded_at: string;
  source: "device" | "manual";
}

export interface VitalBucketView {
  metric: string;
  unit: string;
  t: string;
  avg: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export type GetVitalsResult =
  | { patient_id: string; from: string; to: string; bucket_seconds: null; data: VitalSampleView[] }
  | { patient_id: string; from: string; to: string; bucket_seconds: number; data: VitalBucketView[] };
