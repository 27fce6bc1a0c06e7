-- Change capture for the realtime feed (docs/realtime.md).
--
-- Every write to a table the feed covers leaves one row in app.change_events and sends
-- NOTIFY carebase_changes with ids only (never row data: NOTIFY payloads are visible to
-- every listener of the database). Each server instance LISTENs, decides who may see the
-- change with the same access functions the policies use, fetches the row itself and
-- delivers it. Clients that reconnect pass the last event id they saw and are replayed
-- what they missed from app.change_events.

create table app.change_events (
  id          bigint generated always as identity primary key,
  table_name  text not null check (table_name in ('care_messages', 'vitals', 'visits', 'prescriptions', 'documents', 'appointments')),
  op          text not null check (op in ('INSERT', 'UPDATE', 'DELETE')),
  record_ids  text[] not null check (cardinality(record_ids) between 1 and 100000),
  patient_id  uuid not null,
  created_at  timestamptz not null default now()
);
comment on table app.change_events is 'Ids of changed PHI rows, for realtime replay after a reconnect. Service only; pruned after a day.';
create index change_events_patient_idx on app.change_events (patient_id, id);
create index change_events_created_idx on app.change_events (created_at);

-- Events up to pruned_through may have been deleted: a replay from before it is refused
-- (the client refetches over HTTP) rather than silently incomplete.
create table app.change_events_horizon (
  id             int primary key default 1 check (id = 1),
  pruned_through bigint not null default 0
);
comment on table app.change_events_horizon is 'The highest change event id that pruning may have removed.';
insert into app.change_events_horizon (id, pruned_through) values (1, 0);

-- Service only: RLS on, no policies, no grants.
alter table app.change_events enable row level security;
alter table app.change_events_horizon enable row level security;
revoke all on app.change_events, app.change_events_horizon from anon, authenticated, app_admin;

-- One event per changed row (messages, visits, prescriptions, documents, appointments).
create function app.capture_row_change() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  r   record;
  eid bigint;
begin
  if tg_op = 'DELETE' then r := old; else r := new; end if;
  insert into app.change_events (table_name, op, record_ids, patient_id)
  values (tg_table_name, tg_op, array[r.id::text], r.patient_id)
  returning id into eid;
  perform pg_notify('carebase_changes', json_build_object(
    'table', tg_table_name, 'op', tg_op, 'id', r.id, 'patient_id', r.patient_id, 'event_id', eid)::text);
  return null;
end $$;

-- Vitals arrive in batches of up to 1,000 samples: one event per patient per statement.
create function app.capture_vitals_batch() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  b   record;
  eid bigint;
begin
  for b in select n.patient_id, array_agg(n.id::text order by n.id) as ids from new_rows n group by n.patient_id loop
    insert into app.change_events (table_name, op, record_ids, patient_id)
    values ('vitals', 'INSERT', b.ids, b.patient_id)
    returning id into eid;
    perform pg_notify('carebase_changes', json_build_object(
      'table', 'vitals', 'op', 'INSERT', 'id', null, 'patient_id', b.patient_id, 'event_id', eid,
      'count', cardinality(b.ids))::text);
  end loop;
  return null;
end $$;

create trigger care_messages_capture after insert or update or delete on public.care_messages
  for each row execute function app.capture_row_change();
create trigger visits_capture after insert or update or delete on public.visits
  for each row execute function app.capture_row_change();
create trigger prescriptions_capture after insert or update or delete on public.prescriptions
  for each row execute function app.capture_row_change();
create trigger documents_capture after insert or update or delete on public.documents
  for each row execute function app.capture_row_change();
create trigger appointments_capture after insert or update or delete on public.appointments
  for each row execute function app.capture_row_change();
create trigger vitals_capture after insert on public.vitals
  referencing new table as new_rows
  for each statement execute function app.capture_vitals_batch();

-- Deletes events older than `keep` and moves the horizon. Called by the realtime hub.
create function app.prune_change_events(keep interval) returns bigint
  language plpgsql
  set search_path = ''
as $$
declare
  cut bigint;
  n   bigint;
begin
  select max(id) into cut from app.change_events where created_at < now() - keep;
  if cut is null then return 0; end if;
  delete from app.change_events where id <= cut;
  get diagnostics n = row_count;
  update app.change_events_horizon set pruned_through = greatest(pruned_through, cut) where id = 1;
  return n;
end $$;
