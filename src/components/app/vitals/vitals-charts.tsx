"use client";

import * as React from "react";
import Link from "next/link";
import { FootprintsIcon, HeartPulseIcon, RefreshCwIcon, WatchIcon } from "lucide-react";
import { Area, Bar, BarChart, CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from "recharts";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { GetVitalsResult } from "@/core/vitals/get-vitals.types";
import { cn } from "@/lib/utils";
import { api } from "../api-client";
import { EmptyState } from "../empty-state";
import { useTimeZone } from "../time-zone";
import { LiveStatus } from "../realtime/live-status";
import { useTopic } from "../realtime/use-topic";
import {
  VITALS_RANGES,
  buildSeries,
  rangeQuery,
  summarize,
  timeTicks,
  vitalsRange,
  vitalsSearch,
  type VitalsRangeId,
  type VitalsSeries,
  type VitalsSummary,
} from "./vitals-range";

/** Live updates arrive in bursts (a watch sends a batch every few seconds): one refetch per burst. */
const REFETCH_DELAY_MS = 1000;

type Load = { state: "loading" } | { state: "error"; message: string } | { state: "ready" };

/**
 * Heart rate (average line in a min–max band) and steps (bars per bucket) over the last
 * hour, day, week or month, downsampled by the server. Live: every vitals event for the
 * patient refetches the shown range (coalesced), so new samples draw themselves.
 * The charts are pictures of the text summaries above them, which screen readers read.
 */
export function VitalsCharts({ patientId, audience }: { patientId: string; audience: "patient" | "staff" }) {
  const [rangeId, setRangeId] = React.useState<VitalsRangeId>("day");
  const [series, setSeries] = React.useState<VitalsSeries | null>(null);
  const [shownRange, setShownRange] = React.useState<VitalsRangeId>(rangeId);
  const [load, setLoad] = React.useState<Load>({ state: "loading" });
  const seq = React.useRef(0);
  const rangeRef = React.useRef(rangeId);
  const timer = React.useRef<ReturnType<typeof setTimeout> | null>(null);

  const fetchRange = React.useCallback(
    async (id: VitalsRangeId) => {
      const mine = ++seq.current;
      setLoad({ state: "loading" });
      const r = vitalsRange(id);
      const q = rangeQuery(id, Date.now());
      const res = await api<GetVitalsResult>(`/api/v1/patients/${patientId}/vitals?${vitalsSearch(q)}`);
      if (mine !== seq.current) return; // a newer request (another range, a live refresh) wins
      if (res.ok) {
        setSeries(buildSeries(res.data, r.bucketSeconds));
        setShownRange(id);
        setLoad({ state: "ready" });
      } else {
        setLoad({ state: "error", message: res.error.message });
      }
    },
    [patientId],
  );

  React.useEffect(() => {
    rangeRef.current = rangeId;
    void fetchRange(rangeId);
  }, [rangeId, fetchRange]);

  const scheduleRefetch = React.useCallback(() => {
    if (timer.current) return; // one is already on its way for this burst
    timer.current = setTimeout(() => {
      timer.current = null;
      void fetchRange(rangeRef.current);
    }, REFETCH_DELAY_MS);
  }, [fetchRange]);
  React.useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  // Missed events are replayed on reconnect; when they cannot be (onGap), read the window again.
  const { status } = useTopic(`patient:${patientId}:vitals`, scheduleRefetch, { onGap: scheduleRefetch });

  const range = vitalsRange(shownRange);
  const summary = series ? summarize(series) : null;
  const headingId = React.useId();

  return (
    <section aria-labelledby={headingId} className="grid gap-4" data-testid="vitals">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex flex-wrap items-center gap-2">
          <h2 id={headingId} className="text-lg font-semibold">
            Vitals from wearables
          </h2>
          <LiveStatus status={status} label="Live updates" />
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <RangePicker value={rangeId} onChange={setRangeId} />
          {audience === "patient" && (
            <Button asChild variant="outline" size="sm">
              <Link href="/my-records/devices" prefetch={false}>
                <WatchIcon aria-hidden />
                My devices
              </Link>
            </Button>
          )}
        </div>
      </div>

      {load.state === "error" && (
        <Alert variant="destructive">
          <AlertTitle>Could not load the readings</AlertTitle>
          <AlertDescription>
            <p>{load.message}</p>
            <Button size="sm" variant="outline" onClick={() => void fetchRange(rangeId)}>
              <RefreshCwIcon aria-hidden />
              Try again
            </Button>
          </AlertDescription>
        </Alert>
      )}

      {!series || !summary ? (
        load.state === "loading" && <ChartsSkeleton />
      ) : !summary.hasData ? (
        <div aria-busy={load.state === "loading"}>
          <EmptyState
            icon={WatchIcon}
            title="No readings yet"
            action={
              audience === "patient" ? (
                <Button asChild>
                  <Link href="/my-records/devices" prefetch={false}>Register a device</Link>
                </Button>
              ) : undefined
            }
          >
            {audience === "patient"
              ? `Nothing was recorded in ${range.phrase}. Register a device — a smartwatch or fitness tracker — and its heart rate and steps appear here as they arrive. Or pick a longer range above.`
              : `Nothing was recorded in ${range.phrase}. Readings appear here as they arrive once the patient registers a watch or fitness tracker in their portal. Pick a longer range to see older ones.`}
          </EmptyState>
        </div>
      ) : (
        <div className={cn("grid gap-4 lg:grid-cols-2", load.state === "loading" && "opacity-70 transition-opacity")} aria-busy={load.state === "loading"}>
          <HeartRateCard series={series} summary={summary} rangeId={shownRange} />
          <StepsCard series={series} summary={summary} rangeId={shownRange} />
        </div>
      )}
    </section>
  );
}

/** A segmented control made of native radio buttons: arrow keys move between ranges, Tab leaves. */
function RangePicker({ value, onChange }: { value: VitalsRangeId; onChange: (id: VitalsRangeId) => void }) {
  const name = React.useId();
  return (
    <fieldset className="min-w-0">
      <legend className="sr-only">Time range</legend>
      <div className="bg-muted inline-flex rounded-lg p-[3px]">
        {VITALS_RANGES.map((r) => (
          <label key={r.id} className="relative">
            <input
              type="radio"
              name={name}
              value={r.id}
              checked={value === r.id}
              onChange={() => onChange(r.id)}
              className="peer sr-only"
            />
            <span
              className={cn(
                "text-foreground/70 hover:text-foreground inline-flex h-8 cursor-pointer items-center rounded-md border border-transparent px-3 text-sm font-medium whitespace-nowrap",
                "peer-checked:bg-card peer-checked:text-foreground peer-checked:shadow-sm",
                "peer-focus-visible:border-ring peer-focus-visible:ring-ring/50 peer-focus-visible:ring-[3px]",
              )}
            >
              {r.label}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function ChartsSkeleton() {
  return (
    <div className="grid gap-4 lg:grid-cols-2" aria-busy="true">
      <span className="sr-only">Loading the readings…</span>
      {[0, 1].map((i) => (
        <Card key={i} className="gap-3 py-4">
          <CardHeader className="px-4">
            <Skeleton className="h-5 w-32" />
            <Skeleton className="h-4 w-64 max-w-full" />
          </CardHeader>
          <CardContent className="px-4">
            <Skeleton className="h-52 w-full" />
          </CardContent>
        </Card>
      ))}
    </div>
  );
}

const BUCKET_WORDS: Record<number, string> = { 60: "1-minute", 300: "5-minute", 900: "15-minute", 1800: "30-minute", 3600: "hourly", 10800: "3-hour", 21600: "6-hour", 43200: "12-hour", 86400: "daily" };
const bucketWords = (s: number) => BUCKET_WORDS[s] ?? `${Math.round(s / 60)}-minute`;

/** Axis labels in the clinic's time zone (as every time in the portal). */
function formatTick(id: VitalsRangeId, t: number, timeZone: string): string {
  const d = new Date(t);
  switch (id) {
    case "hour":
    case "day":
      return d.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", timeZone });
    case "week":
      return d.toLocaleDateString("en-US", { weekday: "short", day: "numeric", timeZone });
    case "month":
      return d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone });
  }
}

/** A bucket's time span for tooltips and summaries, in the clinic's time zone with its abbreviation. */
function formatBucket(t: number, bucketSeconds: number, timeZone: string): string {
  const start = new Date(t);
  const end = new Date(t + bucketSeconds * 1000);
  const day = start.toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric", timeZone });
  const time = (d: Date, zone?: "short") => d.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit", timeZone, timeZoneName: zone }).replace(/[\u202f\u00a0]/g, " ");
  return `${day}, ${time(start)}–${time(end, "short")}`;
}

const n = (v: number) => Math.round(v).toLocaleString("en-US");

interface ChartProps {
  series: VitalsSeries;
  summary: VitalsSummary;
  rangeId: VitalsRangeId;
}

/** Points centred in their bucket, so a bucket's bar and average sit over its time span. */
function useChartData(series: VitalsSeries) {
  return React.useMemo(() => {
    const half = (series.bucketSeconds * 1000) / 2;
    return series.points.map((p) => ({ ...p, x: p.t + half }));
  }, [series]);
}

/** Called as a function (not a component) so the chart sees a plain <XAxis> child. */
function timeAxis(rangeId: VitalsRangeId, series: VitalsSeries, timeZone: string) {
  return (
    <XAxis
      dataKey="x"
      type="number"
      scale="time"
      domain={[series.from, series.to]}
      ticks={timeTicks(rangeId, series.from, series.to)}
      tickFormatter={(t: number) => formatTick(rangeId, t, timeZone)}
      tick={AXIS_TICK}
      stroke="var(--border)"
      allowDataOverflow
    />
  );
}

const TOOLTIP_STYLE = { fontSize: 12, borderRadius: 8, border: "1px solid var(--border)", background: "var(--card)" };
const AXIS_TICK = { fontSize: 11, fill: "var(--muted-foreground)" };

/** The tooltip's heading: the bucket under the cursor (points sit at their bucket's centre). */
function bucketLabel(series: VitalsSeries, timeZone: string) {
  return (x: unknown) => formatBucket(Number(x) - (series.bucketSeconds * 1000) / 2, series.bucketSeconds, timeZone);
}

/**
 * One vitals card: a titled summary that screen readers read, then the chart (hidden from
 * them) that pictures it. `children` is the recharts chart itself.
 */
function VitalsCard({
  icon: Icon,
  iconClassName,
  title,
  summaryTestId,
  summary,
  chartDescription,
  children,
}: {
  icon: React.ComponentType<{ "aria-hidden"?: boolean; className?: string }>;
  iconClassName: string;
  title: string;
  summaryTestId: string;
  summary: React.ReactNode;
  /** What the chart shows, for screen readers (the figures are in the summary). */
  chartDescription: string;
  children: React.ReactNode;
}) {
  return (
    <Card className="gap-3 py-4">
      <CardHeader className="px-4">
        <CardTitle>
          <h3 className="flex items-center gap-2">
            <Icon aria-hidden className={`${iconClassName} size-4`} />
            {title}
          </h3>
        </CardTitle>
        <CardDescription data-testid={summaryTestId}>{summary}</CardDescription>
      </CardHeader>
      <CardContent className="px-2 sm:px-4">
        <p className="sr-only">{chartDescription}</p>
        <div aria-hidden className="h-52 w-full">
          {children}
        </div>
      </CardContent>
    </Card>
  );
}

function HeartRateCard({ series, summary, rangeId }: ChartProps) {
  const data = useChartData(series);
  const range = vitalsRange(rangeId);
  const timeZone = useTimeZone();
  const latest = summary.latestHr;
  return (
    <VitalsCard
      icon={HeartPulseIcon}
      iconClassName="text-destructive"
      title="Heart rate"
      summaryTestId="hr-summary"
      summary={
        latest ? (
          <>
            Latest <span className="text-foreground font-semibold">{n(latest.value)} bpm</span> ({formatBucket(latest.t, series.bucketSeconds, timeZone)}).{" "}
            {summary.hrMin !== null && summary.hrMax !== null && (
              <>
                In {range.phrase}: {n(summary.hrMin)}–{n(summary.hrMax)} bpm, average {n(summary.hrAvg ?? 0)} bpm.
              </>
            )}
          </>
        ) : (
          `No heart rate in ${range.phrase}.`
        )
      }
      chartDescription={`The chart shows ${bucketWords(series.bucketSeconds)} averages of the heart rate with the lowest and highest reading of each period as a band; the summary above gives its figures.`}
    >
      <ComposedChart responsive accessibilityLayer={false} data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} style={{ width: "100%", height: "100%" }}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        {timeAxis(rangeId, series, timeZone)}
        <YAxis
          domain={[(min: number) => Math.max(0, Math.floor((min - 10) / 20) * 20), (max: number) => Math.ceil((max + 10) / 20) * 20]}
          allowDecimals={false}
          tick={AXIS_TICK}
          stroke="var(--border)"
          width={40}
          tickCount={6}
        />
        <Tooltip
          labelFormatter={bucketLabel(series, timeZone)}
          formatter={(value, name) =>
            name === "Range" && Array.isArray(value) ? [`${value[0]}–${value[1]} bpm`, "Range"] : [`${n(Number(value))} bpm`, "Average"]
          }
          contentStyle={TOOLTIP_STYLE}
        />
        <Area dataKey="hrRange" name="Range" type="monotone" stroke="none" fill="var(--destructive)" fillOpacity={0.15} isAnimationActive={false} connectNulls={false} activeDot={false} />
        <Line dataKey="hr" name="Average" type="monotone" stroke="var(--destructive)" strokeWidth={2} dot={data.filter((p) => p.hr !== null).length < 3} isAnimationActive={false} connectNulls={false} />
      </ComposedChart>
    </VitalsCard>
  );
}

function StepsCard({ series, summary, rangeId }: ChartProps) {
  const data = useChartData(series);
  const range = vitalsRange(rangeId);
  const timeZone = useTimeZone();
  return (
    <VitalsCard
      icon={FootprintsIcon}
      iconClassName="text-primary"
      title="Steps"
      summaryTestId="steps-summary"
      summary={
        <>
          <span className="text-foreground font-semibold">{n(summary.stepsTotal)} steps</span> in {range.phrase}
          {summary.stepsPeak && summary.stepsPeak.value > 0 ? `; most in ${formatBucket(summary.stepsPeak.t, series.bucketSeconds, timeZone)} (${n(summary.stepsPeak.value)}).` : "."}
        </>
      }
      chartDescription={`The chart shows the steps counted in each ${bucketWords(series.bucketSeconds)} period; the summary above gives its figures.`}
    >
      <BarChart responsive accessibilityLayer={false} data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barCategoryGap="15%" style={{ width: "100%", height: "100%" }}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        {timeAxis(rangeId, series, timeZone)}
        <YAxis allowDecimals={false} tickFormatter={(v: number) => v.toLocaleString("en-US")} tick={AXIS_TICK} stroke="var(--border)" width={44} />
        <Tooltip
          labelFormatter={bucketLabel(series, timeZone)}
          formatter={(value) => [`${n(Number(value))} steps`, "Steps"]}
          cursor={{ fill: "var(--muted)" }}
          contentStyle={TOOLTIP_STYLE}
        />
        <Bar dataKey="steps" name="Steps" fill="var(--primary)" radius={[2, 2, 0, 0]} isAnimationActive={false} />
      </BarChart>
    </VitalsCard>
  );
}
