import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError, ValidationError } from "../errors";
import { METRIC_NAMES, METRICS, type Metric } from "./metrics";
import {
  BUCKET_SECONDS,
  MAX_POINTS_PER_SERIES,
  MAX_RANGE_DAYS,
  type GetVitalsResult,
  type TGetVitalsQuery,
} from "./get-vitals.types";

/** The smallest "nice" bucket that keeps a series of this range within the point budget. */
export function bucketFor(rangeSeconds: number): number {
  const nice = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];
  const needed = rangeSeconds / MAX_POINTS_PER_SERIES;
  return nice.find((b) => b >= needed) ?? Math.ceil(needed / 86400) * 86400;
}

/**
 * A patient's vitals in a time range: raw samples when they fit the point budget, else
 * server-side buckets (avg/min/max/sum per metric). Under RLS; audited as a 'vitals' read.
 */
export async function getVitals(
  session: Session,
  patientId: string,
  query: TGetVitalsQuery,
  context: RequestContext = {},
): Promise<GetVitalsResult> {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 24 * 3600 * 1000);
  const rangeSeconds = (to.getTime() - from.getTime()) / 1000;
  if (rangeSeconds <= 0) throw new ValidationError("`from` must be before `to`.", { from: "must be before to" });
  if (rangeSeconds > MAX_RANGE_DAYS * 86400) {
    throw new ValidationError(`The range may span at most ${MAX_RANGE_DAYS} days.`, { from: "range too long" });
  }
  const metrics = (query.metric ?? METRIC_NAMES) as Metric[];
  const mode = query.bucket ?? "auto";
  const base = { patient_id: patientId, from: from.toISOString(), to: to.toISOString() };

  return withUser(
    session,
    async (tx) => {
      const visible = await tx.selectFrom("patients").select("id").where("id", "=", patientId).executeTakeFirst();
      if (!visible) throw new NotFoundError("patient");

      let bucket: number | null = mode === "raw" ? null : mode === "auto" ? null : BUCKET_SECONDS[mode];
      if (mode === "raw" || mode === "auto") {
        const limit = MAX_POINTS_PER_SERIES * metrics.length;
        const rows = await tx
          .selectFrom("vitals")
          .select(["id", "metric", "value", "unit", "recorded_at", "device_id"])
          .where("patient_id", "=", patientId)
          .where("metric", "in", metrics)
          .where("recorded_at", ">=", from)
          .where("recorded_at", "<", to)
          .orderBy("recorded_at")
          .limit(limit + 1)
          .execute();
        const perSeries = new Map<string, number>();
        for (const r of rows) perSeries.set(r.metric, (perSeries.get(r.metric) ?? 0) + 1);
        const fits = rows.length <= limit && [...perSeries.values()].every((n) => n <= MAX_POINTS_PER_SERIES);
        if (fits || mode === "raw") {
          const shown = rows.slice(0, limit);
          await recordRead(tx, {
            kind: "vitals",
            patientIds: [patientId],
            recordIds: shown.map((r) => String(r.id)),
            details: { metrics, from: base.from, to: base.to, samples: shown.length },
          });
          return {
            ...base,
            bucket_seconds: null,
            data: shown.map((r) => ({
              id: String(r.id),
              metric: r.metric,
              value: r.value,
              unit: r.unit,
              recorded_at: new Date(r.recorded_at).toISOString(),
              source: r.device_id ? ("device" as const) : ("manual" as const),
            })),
          };
        }
        bucket = bucketFor(rangeSeconds);
      }
      // A requested bucket too small for the range is widened to keep the point budget.
      bucket = Math.max(bucket!, bucketFor(rangeSeconds));
      const { rows } = await sql<{ metric: string; t: Date; avg: number; min: number; max: number; sum: number; count: string }>`
        select v.metric,
               to_timestamp(floor(extract(epoch from v.recorded_at) / ${bucket}) * ${bucket}) as t,
               avg(v.value)::float8 as avg, min(v.value) as min, max(v.value) as max, sum(v.value)::float8 as sum,
               count(*) as count
          from public.vitals v
         where v.patient_id = ${patientId} and v.metric = any (${metrics}::text[])
           and v.recorded_at >= ${from} and v.recorded_at < ${to}
         group by 1, 2
         order by 1, 2`.execute(tx);
      await recordRead(tx, {
        kind: "vitals",
        patientIds: [patientId],
        details: { metrics, from: base.from, to: base.to, bucket_seconds: bucket, buckets: rows.length },
      });
      return {
        ...base,
        bucket_seconds: bucket,
        data: rows.map((r) => ({
          metric: r.metric,
          unit: METRICS[r.metric as Metric].unit,
          t: new Date(r.t).toISOString(),
          avg: Math.round(r.avg * 100) / 100,
          min: r.min,
          max: r.max,
          sum: r.sum,
          count: Number(r.count),
        })),
      };
    },
    context,
  );
}
