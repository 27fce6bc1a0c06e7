-- The dashboard's summary cards count over everything the caller may read. For a provider
-- RLS narrows that to their care teams; for an admin it is the whole clinic, and at
-- 100,000 patients two of the counts scanned a table each (bench:render, admin dashboard):
--   Active Prescriptions: count(*) where is_active read all 2,000,000 prescriptions
--     (~180 ms); a partial index holds only the active ones and answers index-only.
--   Visits This Week: visit_date >= Monday had no index of its own and walked the
--     (patient_id, visit_date) index end to end (~30 ms); now a range scan.
-- The per-patient lookups (chart, dashboard rows) keep using the patient_id indexes.

create index prescriptions_active_patient_idx on public.prescriptions (patient_id) where is_active;
comment on index public.prescriptions_active_patient_idx is
  'Active prescriptions only: the dashboard''s Active Prescriptions count and per-patient active counts.';

create index visits_visit_date_idx on public.visits (visit_date);
comment on index public.visits_visit_date_idx is
  'Visits by date: the dashboard''s Visits This Week count.';
