-- The vital signs taken at visits, counted beside the samples (issue #16).
--
-- A FHIR Observation search by patient answers its total from public.vitals_counts (0930)
-- plus the patient's visit vitals. Those were counted on every first page by expanding each
-- of the patient's visits into its vital signs: 0.6 ms for 100 visits, growing with every
-- visit, and a second reader-set computation in the statement. Now each counter also holds
-- how many Observations the patient's visits carry for its metric, kept by statement-level
-- triggers on public.visits in the writing transaction, like the samples' (0930).
--
-- What counts is exactly what the Observation source serves (src/core/fhir/resources/
-- observation.ts, visitVitals): each key of visits.vitals below whose value is present and
-- not JSON null, under the metric that key stands for. tests/fhir/vitals-counts.test.ts holds
-- the counters equal to count(*) of that source on both engines.
--
-- Locking: a statement first locks the counters it changes that exist, in key order, then
-- adds the ones that do not, in key order; two statements therefore take shared counters
-- in the same order whatever they add or remove.
--
-- Read under the samples' rule (0930's policies), which is the visits' rule too (care team,
-- the patient, admins): a counter tells nothing a reader of the visits could not count.

alter table public.vitals_counts add column visit_vitals bigint not null default 0 check (visit_vitals >= 0);

set local role service_role;

-- The metrics a visit's vitals hold, one row per Observation it makes.
create function app.visit_vital_metrics(vitals jsonb) returns setof text
  language sql immutable strict
  set search_path = ''
as $$
  select k.metric
    from (values ('blood_pressure', 'blood_pressure'), ('heart_rate', 'heart_rate'), ('temperature_c', 'temperature'),
                 ('respiratory_rate', 'respiratory_rate'), ('spo2', 'spo2'), ('weight_kg', 'weight'), ('height_cm', 'height')) as k(key, metric)
   where vitals -> k.key is not null and jsonb_typeof(vitals -> k.key) <> 'null'
$$;

-- Adds n(i) visit vitals to counter (patient(i), metric(i)); n may be negative.
create function app.visit_vitals_count(patient_ids uuid[], metrics text[], n bigint[]) returns void
  language plpgsql security definer
  set search_path = ''
as $$
declare
  locked text[];
begin
  select coalesce(array_agg(c.patient_id || ' ' || c.metric), '{}') into locked
    from (select c.patient_id, c.metric from public.vitals_counts c
           where (c.patient_id, c.metric) in (select * from unnest(patient_ids, metrics))
           order by c.patient_id, c.metric for update) c;
  update public.vitals_counts c
     set visit_vitals = greatest(c.visit_vitals + d.n, 0)
    from unnest(patient_ids, metrics, n) as d(patient_id, metric, n)
   where c.patient_id = d.patient_id and c.metric = d.metric
     and c.patient_id || ' ' || c.metric = any (locked); -- one committed since is added to below
  -- counters that did not exist when locked (another writer may have added one since)
  insert into public.vitals_counts as c (patient_id, metric, samples, visit_vitals)
  select d.patient_id, d.metric, 0, d.n
    from unnest(patient_ids, metrics, n) as d(patient_id, metric, n)
   where d.n > 0 and not (d.patient_id || ' ' || d.metric = any (locked))
   order by d.patient_id, d.metric
  on conflict (patient_id, metric) do update set visit_vitals = c.visit_vitals + excluded.visit_vitals;
end $$;

create function app.visit_vitals_added() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform app.visit_vitals_count(array_agg(g.patient_id), array_agg(g.metric), array_agg(g.n))
     from (select r.patient_id, m.metric, count(*) as n
             from added r cross join lateral app.visit_vital_metrics(r.vitals) as m(metric)
            group by 1, 2) g
   having count(*) > 0;
  return null;
end $$;

create function app.visit_vitals_removed() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform app.visit_vitals_count(array_agg(g.patient_id), array_agg(g.metric), array_agg(-g.n))
     from (select r.patient_id, m.metric, count(*) as n
             from removed r cross join lateral app.visit_vital_metrics(r.vitals) as m(metric)
            group by 1, 2) g
   having count(*) > 0;
  return null;
end $$;

-- Only rows whose vitals or patient changed make a difference.
create function app.visit_vitals_changed() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  perform app.visit_vitals_count(array_agg(g.patient_id), array_agg(g.metric), array_agg(g.n))
     from (select d.patient_id, d.metric, sum(d.n)::bigint as n
             from (select r.patient_id, m.metric, 1 as n
                     from added r join removed o on o.id = r.id
                          cross join lateral app.visit_vital_metrics(r.vitals) as m(metric)
                    where (r.patient_id, r.vitals) is distinct from (o.patient_id, o.vitals)
                   union all
                   select o.patient_id, m.metric, -1
                     from added r join removed o on o.id = r.id
                          cross join lateral app.visit_vital_metrics(o.vitals) as m(metric)
                    where (r.patient_id, r.vitals) is distinct from (o.patient_id, o.vitals)) d
            group by 1, 2
           having sum(d.n) <> 0) g
   having count(*) > 0;
  return null;
end $$;

-- trigger functions and their writer: callable by nobody; the schema's owner attaches the triggers (0510)
revoke all on function app.visit_vitals_count(uuid[], text[], bigint[]), app.visit_vitals_added(), app.visit_vitals_removed(),
  app.visit_vitals_changed() from public;
do $$ begin
  execute format('grant execute on function app.visit_vitals_added() to %I', session_user);
  execute format('grant execute on function app.visit_vitals_removed() to %I', session_user);
  execute format('grant execute on function app.visit_vitals_changed() to %I', session_user);
end $$;

reset role;

create trigger visit_vitals_added after insert on public.visits
  referencing new table as added
  for each statement execute function app.visit_vitals_added();
create trigger visit_vitals_removed after delete on public.visits
  referencing old table as removed
  for each statement execute function app.visit_vitals_removed();
create trigger visit_vitals_changed after update on public.visits
  referencing old table as removed new table as added
  for each statement execute function app.visit_vitals_changed();

-- the visits already on file (after CREATE TRIGGER has locked visits: none falls in between)
insert into public.vitals_counts as c (patient_id, metric, samples, visit_vitals)
select vi.patient_id, m.metric, 0, count(*)
  from public.visits vi cross join lateral app.visit_vital_metrics(vi.vitals) as m(metric)
 group by 1, 2
on conflict (patient_id, metric) do update set visit_vitals = excluded.visit_vitals;
