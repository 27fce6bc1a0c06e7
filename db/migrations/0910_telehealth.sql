-- Telehealth video visits (issue #22; docs/telehealth.md).
--
-- 1. Appointments carry a visit type, as visits do (0620): a 'telehealth' appointment is the
--    one that offers "Start video visit" / "Join video visit".
-- 2. public.telehealth_calls: one row per call of an appointment (started, ended, who was
--    admitted, who joined, the care-team members the provider added, the visit it became).
--    PHI (who saw whom, when): RLS forced, audited by trigger. Written only through the
--    functions below, and the provider links the visit it recorded.
-- 3. app.call_signals: the signaling relay between instances. A frame (offer, answer, ICE
--    candidate, ...) is a short-lived row; NOTIFY carries only its id (pg_notify's payload is
--    capped at 8000 bytes, an SDP may be larger). Service-only; written through
--    app.send_call_signal, read by the hubs, pruned after minutes. No media ever.
-- 4. Who may join is ONE function, app.call_role(uid, appointment): the appointment's patient,
--    its provider, or a care-team member the provider added to the open call, each still
--    related to the patient by the same sets every policy uses (app.related_patient_ids:
--    care team or own record; emergency access reads, it does not join calls).

------------------------------------------------------------------------------ appointments
alter table public.appointments
  add column visit_type text not null default 'office'
    check (visit_type in ('office', 'telehealth', 'follow_up', 'urgent', 'annual'));
grant insert (visit_type), update (visit_type) on public.appointments to authenticated;

------------------------------------------------------------------------------ calls
create table public.telehealth_calls (
  id             uuid primary key default gen_random_uuid(),
  appointment_id uuid not null references public.appointments (id),
  patient_id     uuid not null references public.patients (id),
  provider_id    uuid not null references auth.users (id),
  started_by     uuid not null references auth.users (id),
  started_at     timestamptz not null default now(),
  ended_at       timestamptz,
  ended_by       uuid references auth.users (id),
  -- care-team members the provider added (they may join while the call is open)
  members        uuid[] not null default '{}',
  -- admitted from the waiting room by the provider (the provider and members need no admission)
  admitted       uuid[] not null default '{}',
  -- everyone who joined at least once: the visit's participants
  joined         uuid[] not null default '{}',
  visit_id       uuid references public.visits (id),
  constraint telehealth_calls_end_consistent check ((ended_at is null) = (ended_by is null)),
  constraint telehealth_calls_members_cap check (cardinality(members) <= 10 and cardinality(joined) <= 50)
);
comment on table public.telehealth_calls is
  'Telehealth video calls: one row per call of an appointment (start, end, participants). No media is stored.';
create unique index telehealth_calls_one_open_idx on public.telehealth_calls (appointment_id) where ended_at is null;
create index telehealth_calls_appointment_idx on public.telehealth_calls (appointment_id, started_at desc);
create index telehealth_calls_patient_idx on public.telehealth_calls (patient_id, started_at desc);

alter table public.telehealth_calls enable row level security;
alter table public.telehealth_calls force row level security;
revoke all on public.telehealth_calls from anon, authenticated, app_admin;
grant select, insert, update, delete on public.telehealth_calls to service_role;
create policy "Service path has full access" on public.telehealth_calls
  for all to service_role using (true) with check (true);
grant select on public.telehealth_calls to authenticated, app_admin;
create policy "Care team and the patient read telehealth calls" on public.telehealth_calls
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Admins read all telehealth calls" on public.telehealth_calls
  for select to app_admin using ((select app.i_am_admin()));
-- The provider links the visit the ended call became (the visit itself is written under the
-- visits' own policies); everything else changes only through the functions below.
grant update (visit_id) on public.telehealth_calls to authenticated;
create policy "The call's provider links its visit" on public.telehealth_calls
  for update to authenticated
  using (provider_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]))
  with check (provider_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));

select app.audit_table('public.telehealth_calls');

------------------------------------------------------------------------------ signal relay
create table app.call_signals (
  id             bigint generated always as identity primary key,
  appointment_id uuid not null,
  sender_id      uuid not null,
  -- null: every other participant; else only this user
  recipient_id   uuid,
  kind           text not null check (kind in ('started', 'ended', 'join', 'hello', 'leave', 'admit', 'offer', 'answer', 'ice', 'state', 'member_added')),
  payload        jsonb not null default '{}' check (octet_length(payload::text) <= 16384),
  created_at     timestamptz not null default now()
);
comment on table app.call_signals is
  'Signaling frames between call participants on different instances, kept minutes; NOTIFY carries the id only.';
create index call_signals_created_idx on app.call_signals (created_at);

alter table app.call_signals enable row level security;
alter table app.call_signals force row level security;
revoke all on app.call_signals from anon, authenticated, app_admin;
grant select, insert, update, delete on app.call_signals to service_role;
create policy "Service path has full access" on app.call_signals
  for all to service_role using (true) with check (true);

-- Tell every instance: the id and the room, never the frame.
create function app.notify_call_signal() returns trigger
  language plpgsql set search_path = ''
as $$
begin
  perform pg_notify('carebase_call_signals', json_build_object('id', new.id, 'appointment_id', new.appointment_id)::text);
  return null;
end $$;
create trigger call_signals_notify after insert on app.call_signals
  for each row execute function app.notify_call_signal();

------------------------------------------------------------------------------ who may join
set local role service_role;

-- Be extremely careful here: this decides who sees and hears a visit.
-- 'patient' | 'provider' | 'member' | null. Only a telehealth appointment has calls; a call starts only
-- while it is confirmed (app.start_call), and a completed one still shows its last call.
create function app.call_role(uid uuid, appt uuid) returns text
  language sql stable security definer set search_path = ''
as $$
  select case
           when a.patient_id = any (app.own_patient_ids(uid)) then 'patient'
           when a.provider_id = uid and a.patient_id = any (app.related_patient_ids(uid)) then 'provider'
           when a.patient_id = any (app.related_patient_ids(uid))
                and exists (select 1 from public.telehealth_calls c
                             where c.appointment_id = a.id and c.ended_at is null and uid = any (c.members)) then 'member'
         end
    from public.appointments a
   where a.id = appt and a.status in ('confirmed', 'completed') and a.visit_type = 'telehealth' and uid is not null
$$;

create function app.my_call_role(appt uuid) returns text
  language sql stable security definer set search_path = ''
as $$ select app.call_role(auth.uid(), appt) $$;

-- Starts (or returns) the open call of an appointment: its provider only.
create function app.start_call(appt uuid) returns uuid
  language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  v_call uuid;
begin
  if app.call_role(uid, appt) is distinct from 'provider' then
    raise exception 'No such appointment.' using errcode = 'no_data_found';
  end if;
  select c.id into v_call from public.telehealth_calls c where c.appointment_id = appt and c.ended_at is null;
  if v_call is not null then
    return v_call;
  end if;
  if not exists (select 1 from public.appointments a where a.id = appt and a.status = 'confirmed') then
    raise exception 'The appointment is not open.' using errcode = 'object_not_in_prerequisite_state';
  end if;
  insert into public.telehealth_calls (appointment_id, patient_id, provider_id, started_by, joined)
  select a.id, a.patient_id, a.provider_id, uid, array[uid] from public.appointments a where a.id = appt
  returning id into v_call;
  insert into app.call_signals (appointment_id, sender_id, kind) values (appt, uid, 'started');
  return v_call;
end $$;

-- One signaling frame from the caller. The waiting room is here: a patient not yet admitted
-- may only announce itself (join, leave, state); media negotiation needs admission. Admitting
-- and adding members are the provider's. Returns the frame's id.
create function app.send_call_signal(appt uuid, p_kind text, p_recipient uuid, p_payload jsonb) returns bigint
  language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  v_role text := app.call_role(uid, appt);
  v_call public.telehealth_calls;
  v_id bigint;
begin
  if v_role is null then
    raise exception 'No such appointment.' using errcode = 'no_data_found';
  end if;
  if p_kind not in ('join', 'hello', 'leave', 'admit', 'offer', 'answer', 'ice', 'state', 'member_added') then
    raise exception 'Unknown signal.' using errcode = 'invalid_parameter_value';
  end if;
  select * into v_call from public.telehealth_calls c where c.appointment_id = appt and c.ended_at is null for update;
  if v_call.id is null then
    raise exception 'The visit has not started.' using errcode = 'object_not_in_prerequisite_state';
  end if;
  if v_role = 'patient' and not (uid = any (v_call.admitted)) and p_kind not in ('join', 'leave', 'state') then
    raise exception 'Waiting to be admitted.' using errcode = 'insufficient_privilege';
  end if;
  if p_kind in ('admit', 'member_added') and v_role <> 'provider' then
    raise exception 'Only the provider admits.' using errcode = 'insufficient_privilege';
  end if;
  if p_kind = 'admit' then
    if p_recipient is null or app.call_role(p_recipient, appt) is null then
      raise exception 'No such participant.' using errcode = 'no_data_found';
    end if;
    update public.telehealth_calls set admitted = array_append(admitted, p_recipient)
     where id = v_call.id and not (p_recipient = any (admitted));
  end if;
  if p_kind = 'member_added' then
    if p_recipient is null or not (v_call.patient_id = any (app.care_team_patient_ids(p_recipient, null)))
       or p_recipient = v_call.provider_id then
      raise exception 'Not on this patient''s care team.' using errcode = 'no_data_found';
    end if;
    update public.telehealth_calls set members = array_append(members, p_recipient)
     where id = v_call.id and not (p_recipient = any (members));
  end if;
  -- a participant who takes part in media (or is admitted) is on the visit's list
  if p_kind in ('offer', 'answer', 'hello') or (p_kind = 'join' and v_role <> 'patient') then
    update public.telehealth_calls set joined = array_append(joined, uid)
     where id = v_call.id and not (uid = any (joined));
  end if;
  if p_kind = 'admit' then
    update public.telehealth_calls set joined = array_append(joined, p_recipient)
     where id = v_call.id and not (p_recipient = any (joined));
  end if;
  insert into app.call_signals (appointment_id, sender_id, recipient_id, kind, payload)
  values (appt, uid, p_recipient, p_kind, coalesce(p_payload, '{}'))
  returning id into v_id;
  return v_id;
end $$;

-- Ends the open call (its provider). Returns the call as it ended, for the visit record.
create function app.end_call(appt uuid) returns setof public.telehealth_calls
  language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  if app.call_role(uid, appt) is distinct from 'provider' then
    raise exception 'No such appointment.' using errcode = 'no_data_found';
  end if;
  insert into app.call_signals (appointment_id, sender_id, kind) values (appt, uid, 'ended');
  return query
    update public.telehealth_calls set ended_at = now(), ended_by = uid
     where appointment_id = appt and ended_at is null
    returning *;
end $$;

-- The display names of a call's participants (for the visit's record): the caller must be one of them.
create function app.call_participant_names(appt uuid, ids uuid[]) returns table (user_id uuid, full_name text)
  language sql stable security definer set search_path = ''
as $$
  select u.id, u.full_name from auth.users u
   where u.id = any (ids) and app.call_role(auth.uid(), appt) is not null
$$;

create function app.prune_call_signals(keep interval) returns integer
  language sql security definer set search_path = ''
as $$
  with d as (delete from app.call_signals where created_at < now() - keep returning 1) select count(*)::integer from d
$$;

revoke all on function app.call_role(uuid, uuid) from public;
revoke all on function app.my_call_role(uuid) from public;
revoke all on function app.start_call(uuid) from public;
revoke all on function app.send_call_signal(uuid, text, uuid, jsonb) from public;
revoke all on function app.end_call(uuid) from public;
revoke all on function app.call_participant_names(uuid, uuid[]) from public;
revoke all on function app.prune_call_signals(interval) from public;
grant execute on function app.my_call_role(uuid) to authenticated;
grant execute on function app.start_call(uuid) to authenticated;
grant execute on function app.send_call_signal(uuid, text, uuid, jsonb) to authenticated;
grant execute on function app.end_call(uuid) to authenticated;
grant execute on function app.call_participant_names(uuid, uuid[]) to authenticated;

reset role;
