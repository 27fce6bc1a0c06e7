-- FHIR Bulk Data export jobs (issue #16; docs/fhir-import-export.md).
--
-- A job is started by a user (GET /fhir/R4/$export or /fhir/R4/Patient/$export with
-- Prefer: respond-async) and belongs to that user alone: only its owner sees it, polls it,
-- fetches its files and cancels it. The runner reads the data as the owner (withUser, so
-- RLS decides what is exported and every page is audited as a read) and keeps the job's
-- state up to date on the service path (state, progress, the list of files). The rows hold
-- no PHI: the kick-off URL (types and a date), counts and file names; the NDJSON files are
-- sealed under DATA_DIR/exports and removed when the job expires (24 hours) or is cancelled.

------------------------------------------------------------------------------ app.fhir_export_jobs
create table app.fhir_export_jobs (
  id               uuid primary key default gen_random_uuid(),
  owner_id         uuid not null references auth.users (id) on delete cascade,
  -- system: GET /$export (admins); patient: GET /Patient/$export (the patients the owner may read)
  level            text not null check (level in ('system', 'patient')),
  types            text[] not null check (cardinality(types) between 1 and 32),
  since            timestamptz,
  request          text not null check (length(request) <= 2000),
  -- accepted: waiting for the runner; running; completed: files listed in output;
  -- failed: error says why (no PHI); cancelled: by its owner (DELETE on the status URL)
  status           text not null default 'accepted' check (status in ('accepted', 'running', 'completed', 'failed', 'cancelled')),
  progress         text check (length(progress) <= 200),
  -- [{type, file, count}]: file is the name under the job's folder, never a path
  output           jsonb not null default '[]' check (jsonb_typeof(output) = 'array'),
  error            text check (length(error) <= 500),
  transaction_time timestamptz not null default now(),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  finished_at      timestamptz,
  expires_at       timestamptz not null default now() + interval '24 hours'
);
comment on table app.fhir_export_jobs is 'FHIR Bulk Data export jobs: who started which export, its state and the NDJSON files it wrote (sealed under DATA_DIR/exports). Only the owner sees a job; the runner and the expiry sweep work on the service path.';
create index fhir_export_jobs_owner_idx on app.fhir_export_jobs (owner_id, created_at desc);
create index fhir_export_jobs_expires_idx on app.fhir_export_jobs (expires_at);
create index fhir_export_jobs_open_idx on app.fhir_export_jobs (status) where status in ('accepted', 'running');

alter table app.fhir_export_jobs enable row level security;
alter table app.fhir_export_jobs force row level security;
revoke all on app.fhir_export_jobs from anon, authenticated, app_admin;
grant select, insert, update, delete on app.fhir_export_jobs to service_role;
create policy "Service path has full access" on app.fhir_export_jobs
  for all to service_role using (true) with check (true);

-- Users start jobs as themselves, see only their own, and may only cancel them.
grant select on app.fhir_export_jobs to authenticated, app_admin;
grant insert (owner_id, level, types, since, request) on app.fhir_export_jobs to authenticated, app_admin;
grant update (status) on app.fhir_export_jobs to authenticated, app_admin;

create policy "Users read their own export jobs" on app.fhir_export_jobs
  for select to authenticated using (owner_id = (select auth.uid()));
create policy "Users start export jobs as themselves" on app.fhir_export_jobs
  for insert to authenticated with check (owner_id = (select auth.uid()) and level = 'patient' and status = 'accepted');
create policy "Users cancel their own export jobs" on app.fhir_export_jobs
  for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()) and status = 'cancelled');

create policy "Admins read their own export jobs" on app.fhir_export_jobs
  for select to app_admin using ((select app.i_am_admin()) and owner_id = (select auth.uid()));
create policy "Admins start export jobs as themselves" on app.fhir_export_jobs
  for insert to app_admin with check ((select app.i_am_admin()) and owner_id = (select auth.uid()) and status = 'accepted');
create policy "Admins cancel their own export jobs" on app.fhir_export_jobs
  for update to app_admin
  using ((select app.i_am_admin()) and owner_id = (select auth.uid()))
  with check ((select app.i_am_admin()) and owner_id = (select auth.uid()) and status = 'cancelled');
