import { z } from "zod";

export const MAX_SAMPLES_PER_BATCH = 1000;
/** A sample may be stamped at most this far in the future (clock skew of a watch). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** ... and at most this far in the past (a backlog synced after a long trip is fine). */
export const MAX_PAST_MS = 5 * 365 * 24 * 3600 * 1000;

/** The shape only (wrong types → 400); values are checked per sample (→ 422 naming it). */
export const ZVitalSample = z.strictObject({
  metric: z.string().max(64),
  value: z.number(),
  unit: z.string().max(16),
  recorded_at: z.string().max(64),
});

export const ZIngestVitalsRequest = z.strictObject({
  samples: z.array(ZVitalSample),
});

export type TIngestVitalsRequest = z.infer<typeof ZIngestVitalsRequest>;

export interface IngestVitalsResult {
  accepted: number;
  duplicates: number;
}
