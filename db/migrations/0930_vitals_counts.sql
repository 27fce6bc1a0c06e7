-- How many samples each patient has per metric, kept by the vitals ingest (issue #16).
--
-- A FHIR Observation search answers its total on the first page. Counting a patient's
-- samples walks one index entry per sample: 0.7 ms for 10,000 samples, tens of
-- milliseconds for the years of one-a-minute readings a wearable produces. The common
-- searches (`patient=`, `patient=&code=`) read their total from these counters instead
-- (src/core/fhir/resources/observation.ts), plus the patient's visit vitals, counted as
-- before.
--
-- Kept by statement-level triggers on public.vitals over the rows each statement inserted,
-- deleted or changed: one upsert per (patient, metric) per statement, in the same
-- transaction, so a counter is exactly as visible as the samples it counts (MVCC) and two
-- instances ingesting at once add up (ON CONFLICT takes the row lock). Inserts and deletes
-- take their counters in key order, so two of them cannot lock the same counters in opposite
-- orders. (An UPDATE that moves samples between patients or metrics, which no application
-- path does, locks the counters it leaves before those it joins.)
-- tests/fhir/vitals-counts.test.ts holds the counters equal to count(*) on both engines.
--
-- Derived PHI (it says how many readings a patient has): read under the same rule as the
-- samples. Not audited as its own table: it is written only by the triggers below, whose
-- source rows are audited (app.audit_vitals_batch), and reading it is part of a search
-- that records its read.

create table public.vitals_counts (
  patient_id uuid not null references public.patients (id) on delete cascade,
  metric     text not null,
  samples    bigint not null check (samples >= 0),
  primary key (patient_id, metric)
);

alter table public.vitals_counts enable row level security;
alter table public.vitals_counts force row level security;
revoke all on public.vitals_counts from anon, authenticated, app_admin;
grant select, insert, update, delete on public.vitals_counts to service_role;
create policy "Service path has full access" on public.vitals_counts
  for all to service_role using (true) with check (true);
grant select on public.vitals_counts to authenticated, app_admin;
create policy "Care team and the patient read vitals counts" on public.vitals_counts
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Admins read all vitals counts" on public.vitals_counts
  for select to app_admin using ((select app.i_am_admin()));

set local role service_role;

create function app.vitals_counts_added() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  insert into public.vitals_counts as c (patient_id, metric, samples)
  select r.patient_id, r.metric, count(*) from added r group by 1, 2 order by 1, 2
  on conflict (patient_id, metric) do update set samples = c.samples + excluded.samples;
  return null;
end $$;

create function app.vitals_counts_removed() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  -- lock in key order first (an UPDATE ... FROM takes its rows in whatever order its join yields)
  perform 1 from public.vitals_counts c
   where (c.patient_id, c.metric) in (select r.patient_id, r.metric from removed r)
   order by c.patient_id, c.metric for update;
  update public.vitals_counts c
     set samples = greatest(c.samples - g.n, 0)
    from (select r.patient_id, r.metric, count(*) as n from removed r group by 1, 2) g
   where c.patient_id = g.patient_id and c.metric = g.metric;
  return null;
end $$;

-- Only rows whose patient or metric changed move from one counter to another.
create function app.vitals_counts_changed() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform 1 from public.vitals_counts c
   where (c.patient_id, c.metric) in (select o.patient_id, o.metric from removed o join added r on r.id = o.id
                                       where (o.patient_id, o.metric) is distinct from (r.patient_id, r.metric))
   order by c.patient_id, c.metric for update;
  update public.vitals_counts c
     set samples = greatest(c.samples - g.n, 0)
    from (select o.patient_id, o.metric, count(*) as n
            from removed o join added r on r.id = o.id
           where (o.patient_id, o.metric) is distinct from (r.patient_id, r.metric)
           group by 1, 2) g
   where c.patient_id = g.patient_id and c.metric = g.metric;
  insert into public.vitals_counts as c (patient_id, metric, samples)
  select r.patient_id, r.metric, count(*)
    from removed o join added r on r.id = o.id
   where (o.patient_id, o.metric) is distinct from (r.patient_id, r.metric)
   group by 1, 2 order by 1, 2
  on conflict (patient_id, metric) do update set samples = c.samples + excluded.samples;
  return null;
end $$;

-- trigger functions: callable by nobody; the schema's owner attaches them (0510)
revoke all on function app.vitals_counts_added(), app.vitals_counts_removed(), app.vitals_counts_changed() from public;
do $$ begin
  execute format('grant execute on function app.vitals_counts_added() to %I', session_user);
  execute format('grant execute on function app.vitals_counts_removed() to %I', session_user);
  execute format('grant execute on function app.vitals_counts_changed() to %I', session_user);
end $$;

reset role;

create trigger vitals_counts_added after insert on public.vitals
  referencing new table as added
  for each statement execute function app.vitals_counts_added();
create trigger vitals_counts_removed after delete on public.vitals
  referencing old table as removed
  for each statement execute function app.vitals_counts_removed();
create trigger vitals_counts_changed after update on public.vitals
  referencing old table as removed new table as added
  for each statement execute function app.vitals_counts_changed();

-- the samples already on file
insert into public.vitals_counts (patient_id, metric, samples)
select patient_id, metric, count(*) from public.vitals group by 1, 2;
