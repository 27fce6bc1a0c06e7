import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import type { VisitType } from "../db/schema";
import { NotFoundError } from "../errors";

export interface OverviewMedication {
  id: string;
  medication: string;
  dosage: string;
  frequency: string;
  start_date: string;
}

export interface OverviewVisit {
  id: string;
  visit_date: string;
  visit_type: VisitType;
  chief_complaint: string;
  diagnosis: string | null;
  provider_name: string | null;
}

export interface OverviewAppointment {
  id: string;
  starts_at: string;
  ends_at: string;
  status: string;
  reason: string | null;
  provider_name: string | null;
}

export interface OverviewDocument {
  id: string;
  document_type: string;
  description: string | null;
  original_name: string | null;
  uploaded_at: string;
}

export interface OverviewReading {
  metric: string;
  value: number;
  unit: string;
  recorded_at: string;
}

export interface ChartOverview {
  patient_id: string;
  allergies: string[];
  active_medications: OverviewMedication[];
  /** The vital signs of the latest visit that recorded any. */
  last_visit_vitals: { visit_id: string; visit_date: string; vitals: Record<string, unknown> } | null;
  /** The latest reading of each wearable/manual metric. */
  latest_readings: OverviewReading[];
  next_appointment: OverviewAppointment | null;
  unreviewed_documents: OverviewDocument[];
  unreviewed_documents_count: number;
  recent_visits: OverviewVisit[];
}

export const OVERVIEW_LIMITS = { medications: 20, documents: 5, visits: 5 } as const;
const METRICS = ["heart_rate", "spo2", "bp_systolic", "bp_diastolic", "temperature", "weight", "steps"];

/**
 * The chart's first tab: allergies, active medications, last vitals, the next appointment,
 * documents awaiting review and recent visits, in ONE statement under the caller's RLS (each
 * part a subquery on its own index), and one audit record of what it returned.
 */
export async function getChartOverview(session: Session, patientId: string, context: RequestContext): Promise<ChartOverview> {
  return withUser(session, async (tx) => {
    const { rows } = await sql<Omit<ChartOverview, "patient_id">>`
      select
        p.allergies,
        coalesce((select json_agg(m) from (
          select rx.id, rx.medication, rx.dosage, rx.frequency, rx.start_date
            from public.prescriptions rx
           where rx.patient_id = p.id and rx.is_active
           order by rx.start_date desc, rx.medication
           limit ${OVERVIEW_LIMITS.medications}) m), '[]') as active_medications,
        (select json_build_object('visit_id', v.id, 'visit_date', v.visit_date, 'vitals', v.vitals)
           from public.visits v
          where v.patient_id = p.id and v.vitals is not null and v.vitals <> '{}'::jsonb
          order by v.visit_date desc limit 1) as last_visit_vitals,
        coalesce((select json_agg(r order by r.metric) from (
          select latest.metric, latest.value, latest.unit, latest.recorded_at
            from unnest(${METRICS}::text[]) as m(metric)
            cross join lateral (
              select vt.metric, vt.value, vt.unit, vt.recorded_at from public.vitals vt
               where vt.patient_id = p.id and vt.metric = m.metric
               order by vt.recorded_at desc limit 1) latest) r), '[]') as latest_readings,
        (select json_build_object('id', a.id, 'starts_at', a.starts_at, 'ends_at', a.ends_at, 'status', a.status, 'reason', a.reason, 'provider_name', u.full_name)
           from public.appointments a left join auth.users u on u.id = a.provider_id
          where a.patient_id = p.id and a.status in ('requested', 'confirmed') and a.ends_at > now()
          order by a.starts_at limit 1) as next_appointment,
        coalesce((select json_agg(d) from (
          select doc.id, doc.document_type, doc.description, doc.original_name, doc.uploaded_at
            from public.documents doc
           where doc.patient_id = p.id and doc.reviewed_at is null and doc.deleted_at is null
           order by doc.uploaded_at desc
           limit ${OVERVIEW_LIMITS.documents}) d), '[]') as unreviewed_documents,
        (select count(*)::int from public.documents doc
          where doc.patient_id = p.id and doc.reviewed_at is null and doc.deleted_at is null) as unreviewed_documents_count,
        coalesce((select json_agg(x) from (
          select v.id, v.visit_date, v.visit_type, v.chief_complaint, v.diagnosis, u.full_name as provider_name
            from public.visits v left join auth.users u on u.id = v.provider_id
           where v.patient_id = p.id
           order by v.visit_date desc
           limit ${OVERVIEW_LIMITS.visits}) x), '[]') as recent_visits
      from public.patients p
      where p.id = ${patientId}`.execute(tx);
    const row = rows[0];
    if (!row) throw new NotFoundError("patient");
    const recordIds = [
      ...row.active_medications.map((m) => m.id),
      ...(row.last_visit_vitals ? [row.last_visit_vitals.visit_id] : []),
      ...(row.next_appointment ? [row.next_appointment.id] : []),
      ...row.unreviewed_documents.map((d) => d.id),
      ...row.recent_visits.map((v) => v.id),
    ];
    await recordRead(tx, { kind: "patient_chart", patientIds: [patientId], recordIds: [...new Set(recordIds)], details: { view: "overview" } });
    return { patient_id: patientId, ...row };
  }, context);
}
