import { sql } from "kysely";
import type { RequestContext } from "../db/with-user";
import { PayloadTooLargeError, ValidationError } from "../errors";
import { METRICS, isMetric } from "./metrics";
import { withDevice } from "./with-device";
import {
  MAX_FUTURE_MS,
  MAX_PAST_MS,
  MAX_SAMPLES_PER_BATCH,
  type IngestVitalsResult,
  type TIngestVitalsRequest,
} from "./ingest-vitals.types";

interface CheckedSample {
  metric: string;
  value: number;
  unit: string;
  recordedAt: string;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Checks every sample against the metric table; the first bad one fails the whole batch
 * with a 422 naming its index (nothing of the batch is stored).
 */
export function checkSamples(body: TIngestVitalsRequest, now = Date.now()): CheckedSample[] {
  const { samples } = body;
  if (samples.length > MAX_SAMPLES_PER_BATCH) {
    throw new PayloadTooLargeError(`A batch holds at most ${MAX_SAMPLES_PER_BATCH} samples (got ${samples.length}).`);
  }
  if (samples.length === 0) throw new ValidationError("The batch has no samples.", { samples: "must not be empty" });
  return samples.map((s, i) => {
    const bad = (field: string, why: string): never => {
      throw new ValidationError(`Sample ${i} is invalid: ${field} ${why}.`, { [`samples.${i}.${field}`]: why });
    };
    if (!isMetric(s.metric)) return bad("metric", `is not a known metric (use one of ${Object.keys(METRICS).join(", ")})`);
    const spec = METRICS[s.metric];
    if (s.unit !== spec.unit) return bad("unit", `must be "${spec.unit}" for ${s.metric}`);
    if (!Number.isFinite(s.value) || s.value < spec.min || s.value > spec.max) {
      return bad("value", `must be between ${spec.min} and ${spec.max} ${spec.unit}`);
    }
    if (s.metric === "steps" && !Number.isInteger(s.value)) return bad("value", "must be a whole number of steps");
    const t = ISO_WITH_ZONE.test(s.recorded_at) ? Date.parse(s.recorded_at) : NaN;
    if (!Number.isFinite(t)) return bad("recorded_at", "must be an ISO 8601 timestamp with a time zone");
    if (t > now + MAX_FUTURE_MS) return bad("recorded_at", "is more than 5 minutes in the future");
    if (t < now - MAX_PAST_MS) return bad("recorded_at", "is more than 5 years in the past");
    return { metric: s.metric, value: s.value, unit: s.unit, recordedAt: new Date(t).toISOString() };
  });
}

/**
 * Stores a device's batch in one statement: all of it or none of it. A sample already
 * stored (same device, metric and time) is a duplicate and is skipped, not an error.
 * The database's device policy decides which patient the rows may belong to.
 */
export async function ingestVitals(
  deviceToken: string,
  body: TIngestVitalsRequest,
  context: RequestContext = {},
): Promise<IngestVitalsResult> {
  return withDevice(
    deviceToken,
    async (tx, device) => {
      const samples = checkSamples(body);
      const result = await sql`
        insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
        select ${device.patientId}::uuid, ${device.deviceId}::uuid, s.metric, s.value, s.unit, s.recorded_at
          from unnest(${samples.map((s) => s.metric)}::text[], ${samples.map((s) => s.value)}::float8[],
                      ${samples.map((s) => s.unit)}::text[], ${samples.map((s) => s.recordedAt)}::timestamptz[])
               as s(metric, value, unit, recorded_at)
        on conflict do nothing`.execute(tx);
      // No conflict target on purpose: naming the arbiter (vitals_one_sample) makes
      // PostgreSQL apply the SELECT policies too, which a device passes for no row. The
      // only other unique key is the identity id, which never conflicts.
      const accepted = Number(result.numAffectedRows ?? 0n);
      return { accepted, duplicates: samples.length - accepted };
    },
    context,
  );
}
