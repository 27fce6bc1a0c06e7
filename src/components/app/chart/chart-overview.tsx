"use client";

import { AlertTriangleIcon, CalendarClockIcon, FileClockIcon, HeartPulseIcon, PillIcon, StethoscopeIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import type { ChartOverview } from "@/core/clinical/overview";
import { VISIT_TYPE_LABELS } from "@/core/clinical/visits.types";
import { formatDate, formatDateTime, titleCase } from "../format";
import { useTimeZone } from "../time-zone";
import { vitalSignRows } from "./vital-signs";
import { AppointmentStatus, When } from "./appointments-list";

const READING_LABELS: Record<string, string> = {
  heart_rate: "Heart rate",
  spo2: "SpO₂",
  bp_systolic: "Systolic",
  bp_diastolic: "Diastolic",
  temperature: "Temperature",
  weight: "Weight",
  steps: "Steps",
};

function Section({ id, title, icon: Icon, children, className }: { id: string; title: string; icon: React.ComponentType<{ className?: string; "aria-hidden"?: boolean }>; children: React.ReactNode; className?: string }) {
  return (
    <Card role="region" className={`gap-3 ${className ?? ""}`} aria-labelledby={id}>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Icon aria-hidden className="text-muted-foreground size-4" />
          <h2 id={id}>{title}</h2>
        </CardTitle>
      </CardHeader>
      <CardContent className="text-sm">{children}</CardContent>
    </Card>
  );
}

const None = ({ children }: { children: React.ReactNode }) => <p className="text-muted-foreground">{children}</p>;

/** The chart's first tab: what a clinician checks before anything else. */
export function ChartOverviewPanel({ overview }: { overview: ChartOverview }) {
  const timeZone = useTimeZone();
  const vitals = vitalSignRows(overview.last_visit_vitals?.vitals);
  const o = overview;
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="chart-overview">
      <Section id="ov-allergies" title="Allergies" icon={AlertTriangleIcon}>
        {o.allergies.length ? (
          <ul className="flex flex-wrap gap-2" aria-label="Recorded allergies">
            {o.allergies.map((a) => (
              <li key={a}><Badge variant="destructive">{a}</Badge></li>
            ))}
          </ul>
        ) : (
          <None>No known allergies recorded.</None>
        )}
      </Section>

      <Section id="ov-medications" title={`Active medications (${o.active_medications.length})`} icon={PillIcon}>
        {o.active_medications.length ? (
          <ul className="grid gap-1.5">
            {o.active_medications.map((m) => (
              <li key={m.id}>
                <span className="font-medium">{m.medication}</span> <span className="text-muted-foreground">{m.dosage}, {m.frequency}</span>
              </li>
            ))}
          </ul>
        ) : (
          <None>No active medications.</None>
        )}
      </Section>

      <Section id="ov-vitals" title="Last vitals" icon={HeartPulseIcon}>
        {vitals.length ? (
          <>
            <p className="text-muted-foreground mb-2">At the visit of {formatDate(o.last_visit_vitals!.visit_date, timeZone)}</p>
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
              {vitals.map((v) => (
                <div key={v.key} className="contents">
                  <dt className="text-muted-foreground">{v.label}</dt>
                  <dd>{v.value} {v.unit}</dd>
                </div>
              ))}
            </dl>
          </>
        ) : (
          <None>No vitals recorded at a visit yet.</None>
        )}
        {o.latest_readings.length > 0 && (
          <>
            <p className="text-muted-foreground mt-3 mb-1">Latest readings</p>
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
              {o.latest_readings.map((r) => (
                <div key={r.metric} className="contents">
                  <dt className="text-muted-foreground">{READING_LABELS[r.metric] ?? titleCase(r.metric)}</dt>
                  <dd>
                    {r.value} {r.unit} <span className="text-muted-foreground">({formatDateTime(r.recorded_at, timeZone)})</span>
                  </dd>
                </div>
              ))}
            </dl>
          </>
        )}
      </Section>

      <Section id="ov-next" title="Next appointment" icon={CalendarClockIcon}>
        {o.next_appointment ? (
          <div className="grid gap-1">
            <p><When start={o.next_appointment.starts_at} end={o.next_appointment.ends_at} /></p>
            <p className="flex flex-wrap items-center gap-2">
              with {o.next_appointment.provider_name ?? "a provider"} <AppointmentStatus status={o.next_appointment.status} />
            </p>
            {o.next_appointment.reason && <p className="text-muted-foreground">{o.next_appointment.reason}</p>}
          </div>
        ) : (
          <None>Nothing scheduled.</None>
        )}
      </Section>

      <Section id="ov-documents" title={`Documents to review (${o.unreviewed_documents_count})`} icon={FileClockIcon}>
        {o.unreviewed_documents.length ? (
          <ul className="grid gap-1.5">
            {o.unreviewed_documents.map((d) => (
              <li key={d.id}>
                <span className="font-medium">{d.description || d.original_name || titleCase(d.document_type.replace(/_/g, " "))}</span>{" "}
                <span className="text-muted-foreground">{titleCase(d.document_type.replace(/_/g, " "))}, {formatDate(d.uploaded_at, timeZone)}</span>
              </li>
            ))}
            {o.unreviewed_documents_count > o.unreviewed_documents.length && (
              <li className="text-muted-foreground">and {o.unreviewed_documents_count - o.unreviewed_documents.length} more in Documents.</li>
            )}
          </ul>
        ) : (
          <None>Every document has been reviewed.</None>
        )}
      </Section>

      <Section id="ov-visits" title="Recent visits" icon={StethoscopeIcon}>
        {o.recent_visits.length ? (
          <ul className="grid gap-1.5">
            {o.recent_visits.map((v) => (
              <li key={v.id}>
                <span className="font-medium">{formatDate(v.visit_date, timeZone)}</span> <Badge variant="outline">{VISIT_TYPE_LABELS[v.visit_type] ?? v.visit_type}</Badge>{" "}
                {v.chief_complaint}
                {v.diagnosis && <span className="text-muted-foreground"> · {v.diagnosis}</span>}
              </li>
            ))}
          </ul>
        ) : (
          <None>No visits recorded yet.</None>
        )}
      </Section>
    </div>
  );
}
