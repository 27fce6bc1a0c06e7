-- Break-the-glass emergency access (issue #18; docs/emergency-access.md).
--
-- A verified provider with a prescribing or nursing credential who is on no care team of a
-- patient opens read-only access to that chart for a stated reason and a limited time
-- (app.open_emergency_access). The grant is a row that the access functions read: the
-- READABLE set of its holder grows by the patients of their active grants; the chartable and
-- prescribable sets (every write) do not. So every channel that reads through the policies
-- (JSON API, pages, realtime, FHIR, exports) inherits it, and nothing in route code decides.
--
-- Shape (docs/rls-shape.md): still one sorted uuid[] per statement, no OR in any policy. The
-- only cost added to every statement is one index probe into emergency_access_grants (its
-- partial index holds the open grants only).
--
--   * app.related_patient_ids(uid): the readable set as it was before (care team or own
--     record). The two policies that took the READABLE set for a WRITE (patients and team
--     request appointments; vitals recorded by hand) now take this one, so a grant never
--     lets anyone write.
--   * app.emergency_patient_ids(uid): the patients of the uid's open grants (not ended, not
--     expired, holder still verified, active and credentialled).
--   * app.readable_patient_ids(uid) = related ∪ emergency.
--   * app.may_read_patients (0209's fast check for read records) knows grants too, and
--     app.stage_read marks every read made under a grant with details.emergency_access =
--     the grant's id: the audit trail, the admin review and the patient's access log show it.

------------------------------------------------------------------------------ the grants
create table public.emergency_access_grants (
  id             uuid primary key default gen_random_uuid(),
  patient_id     uuid not null references public.patients (id) on delete cascade,
  provider_id    uuid not null references auth.users (id),
  reason         text not null check (length(btrim(reason)) between 10 and 1000),
  created_at     timestamptz not null default now(),
  expires_at     timestamptz not null,
  ended_at       timestamptz,
  ended_by       uuid references auth.users (id),
  review_outcome text check (review_outcome in ('appropriate', 'inappropriate')),
  review_note    text check (length(review_note) <= 2000),
  reviewed_at    timestamptz,
  reviewed_by    uuid references auth.users (id),
  constraint emergency_access_grants_expiry check (expires_at > created_at and expires_at <= created_at + interval '12 hours'),
  constraint emergency_access_grants_review_complete check ((review_outcome is null) = (reviewed_at is null) and (reviewed_at is null) = (reviewed_by is null))
);
comment on table public.emergency_access_grants is
  'Break-the-glass grants: read-only access to one chart for a reason, until expires_at or ended_at. Read by app.emergency_patient_ids; reviewed by admins.';
-- The open grants, probed by every statement's readable set: small by construction.
create index emergency_access_grants_open_idx on public.emergency_access_grants (provider_id, patient_id, expires_at) where ended_at is null;
create index emergency_access_grants_patient_idx on public.emergency_access_grants (patient_id, created_at desc);
create index emergency_access_grants_created_idx on public.emergency_access_grants (created_at desc);
create index emergency_access_grants_unreviewed_idx on public.emergency_access_grants (created_at) where reviewed_at is null;

alter table public.emergency_access_grants enable row level security;
alter table public.emergency_access_grants force row level security;
revoke all on public.emergency_access_grants from anon, authenticated, app_admin;
grant select, insert, update, delete on public.emergency_access_grants to service_role;
create policy "Service path has full access" on public.emergency_access_grants
  for all to service_role using (true) with check (true);
-- Holders see their own grants (the chart banner); grants are opened and ended only
-- through the functions below, never by a direct write.
grant select on public.emergency_access_grants to authenticated, app_admin;
create policy "Holders see their own grants" on public.emergency_access_grants
  for select to authenticated using (provider_id = (select auth.uid()));
-- Admins (aal2) read every grant and record a review as themselves.
create policy "Admins read every grant" on public.emergency_access_grants
  for select to app_admin using ((select app.i_am_admin()));
grant update (review_outcome, review_note, reviewed_at, reviewed_by) on public.emergency_access_grants to app_admin;
create policy "Admins review grants as themselves" on public.emergency_access_grants
  for update to app_admin
  using ((select app.i_am_admin()))
  with check ((select app.i_am_admin()) and reviewed_by = (select auth.uid()));

-- Opening, ending and reviewing a grant is on the trail (the reason included).
select app.audit_table('public.emergency_access_grants');

-- The care team is told at once: the grant is an event on the patient's chart topic.
alter table app.change_events drop constraint if exists change_events_table_name_check;
alter table app.change_events add constraint change_events_table_name_check
  check (table_name in ('care_messages', 'vitals', 'visits', 'prescriptions', 'documents', 'appointments', 'emergency_access_grants'));
create trigger emergency_access_grants_capture after insert or update on public.emergency_access_grants
  for each row execute function app.capture_row_change();

-- ... and by mail (kind 'emergency_access', already allowed by 0630's list of kinds; no PHI:
-- the template names neither the patient nor the reason): app.enqueue_emergency_notice below.

------------------------------------------------------------------------------ the access sets
-- New functions are created by the migration login (no PUBLIC execute by default, 0001) and
-- then handed to service_role; replaced ones are replaced as service_role (their owner).

-- The credentials that may break the glass: prescribing or nursing.
create function app.emergency_credentials() returns text[]
  language sql immutable
  set search_path = ''
as $$ select array['physician', 'nurse_practitioner', 'physician_assistant', 'registered_nurse'] $$;

-- The readable set before 0700: care team (verified providers) or one's own record.
create function app.related_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  team uuid[] := app.care_team_patient_ids(uid);
  own  uuid[] := app.own_patient_ids(uid);
begin
  if cardinality(own) = 0 then
    return team;
  elsif cardinality(team) = 0 then
    return own;
  end if;
  return array(select distinct x from unnest(team || own) x order by x);
end $$;
alter function app.related_patient_ids(uuid) owner to service_role;

-- The patients of a provider's open emergency grants (sorted). The holder must still be a
-- verified, active provider with an emergency credential.
create function app.emergency_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select distinct g.patient_id
      from public.emergency_access_grants g
      join public.providers p on p.user_id = g.provider_id and p.is_verified
                              and p.credential = any (app.emergency_credentials())
      join auth.users u on u.id = g.provider_id and u.is_active
     where g.provider_id = uid
       and g.ended_at is null
       and g.expires_at > now()
     order by 1);
end $$;
alter function app.emergency_patient_ids(uuid) owner to service_role;

-- The policies' write sets that used the readable set (appointment requests, vitals by hand).
create function app.my_related_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.related_patient_ids(auth.uid()); end $$;
grant execute on function app.my_related_patient_ids() to authenticated;
alter function app.my_related_patient_ids() owner to service_role;

-- Be extremely careful here: every PHI read policy depends on this set.
set local role service_role;
create or replace function app.readable_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  related   uuid[] := app.related_patient_ids(uid);
  emergency uuid[] := app.emergency_patient_ids(uid);
begin
  if cardinality(emergency) = 0 then
    return related;
  end if;
  return array(select distinct x from unnest(related || emergency) x order by x);
end $$;

-- Appointment requests name a provider on the care team of a patient one is RELATED to
-- (an emergency grant reads; it does not book).
create or replace function app.on_readable_care_team(patient uuid, provider uuid) returns boolean
  language sql stable security definer set search_path = ''
as $$
  select patient = any (app.related_patient_ids(auth.uid()))
     and exists (select 1 from public.care_team ct where ct.patient_id = patient and ct.provider_id = provider)
$$;

-- 0209's per-patient check, with the open grants (same rule as app.readable_patient_ids).
create or replace function app.may_read_patients(uid uuid, patient_ids uuid[]) returns boolean
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  pid uuid;
begin
  if uid is null then
    return false;
  end if;
  if cardinality(patient_ids) > 8 then
    return patient_ids <@ app.readable_patient_ids(uid);
  end if;
  foreach pid in array coalesce(patient_ids, '{}'::uuid[]) loop
    if pid is null then
      return false;
    end if;
    if not exists (select 1
                     from public.care_team ct
                     join public.providers p on p.user_id = ct.provider_id and p.is_verified
                     join auth.users u on u.id = ct.provider_id and u.is_active
                    where ct.provider_id = uid and ct.patient_id = pid)
       and not exists (select 1
                         from public.patients pt
                         join auth.users u on u.id = pt.user_id and u.is_active
                        where pt.id = pid and pt.user_id = uid)
       and not (pid = any (app.emergency_patient_ids(uid))) then
      return false;
    end if;
  end loop;
  return true;
end $$;

-- 0209's read-record writer; one change (marked): a read made under an open emergency grant
-- carries the grant's id in details.emergency_access.
create or replace function app.stage_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
  uid    uuid := nullif(claims ->> 'sub', '')::uuid;
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if claims ->> 'role' = 'authenticated' and coalesce(cardinality(patient_ids), 0) > 0
     and not app.may_read_patients(uid, patient_ids) then
    raise exception 'Cannot record a read of a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  if pg_current_xact_id_if_assigned() is null
     and coalesce(current_setting('carebase.audit_sync_reads', true), '') <> 'on' then
    perform set_config('carebase.audit_prev_sync', current_setting('synchronous_commit'), true),
            set_config('synchronous_commit', 'off', true);
  end if;
  insert into app.audit_read_stage (actor_id, actor_role, table_name, patient_id, details, request_id, ip, user_agent)
  select uid,
         coalesce(claims ->> 'app_role', claims ->> 'role', 'system'),
         kind, p.id,
         coalesce(details, '{}'::jsonb)
           || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])))
           || case
                when claims ->> 'role' = 'service_role' then jsonb_build_object('service', true, 'service_reason', claims ->> 'reason')
                when claims = '{}'::jsonb then jsonb_build_object('db_user', session_user::text)
                else '{}'::jsonb
              end
           -- 0700: the grant a provider's read was made under
           || case
                when claims ->> 'app_role' = 'provider' and p.id is not null then coalesce((
                  select jsonb_build_object('emergency_access', g.id)
                    from public.emergency_access_grants g
                   where g.provider_id = uid and g.patient_id = p.id and g.ended_at is null and g.expires_at > now()
                   order by g.created_at desc
                   limit 1), '{}'::jsonb)
                else '{}'::jsonb
              end,
         nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
         nullif(left(current_setting('request.user_agent', true), 512), '')
    from (select distinct x as id from unnest(coalesce(patient_ids, '{}'::uuid[])) x
          union all
          select null where coalesce(cardinality(patient_ids), 0) = 0) p;
end $$;
reset role;

-- The two write policies that took the readable set.
drop policy "Patients and care team request appointments with a team provider" on public.appointments;
create policy "Patients and care team request appointments with a team provider" on public.appointments
  for insert to authenticated
  with check (patient_id = any ((select app.my_related_patient_ids())::uuid[])
              and requested_by = (select auth.uid())
              and status = 'requested'
              and app.on_readable_care_team(patient_id, provider_id));
drop policy "Care team and the patient record vitals as themselves" on public.vitals;
create policy "Care team and the patient record vitals as themselves" on public.vitals
  for insert to authenticated
  with check (patient_id = any ((select app.my_related_patient_ids())::uuid[]) and recorded_by = (select auth.uid()) and device_id is null);

------------------------------------------------------------------------------ opening and ending
-- Opens a grant for the caller: a verified, active provider with an emergency credential, on
-- no care team of the patient, naming the patient by BOTH its MRN and date of birth. Any
-- miss (no such pair, not allowed) returns no row, after the same lookup: the caller cannot
-- tell which part failed. A caller who can already read the chart gets 'CB409'.
create function app.open_emergency_access(p_mrn text, p_date_of_birth date, p_reason text, p_minutes integer)
  returns table (id uuid, patient_id uuid, expires_at timestamptz)
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  uid     uuid := auth.uid();
  v_pid   uuid;
  allowed boolean;
begin
  select pt.id into v_pid
    from public.patients pt
   where pt.mrn = p_mrn and pt.date_of_birth = p_date_of_birth;
  allowed := uid is not null
    and auth.jwt() ->> 'role' = 'authenticated'
    and exists (select 1
                  from public.providers p
                  join auth.users u on u.id = p.user_id and u.is_active and u.role = 'provider'
                 where p.user_id = uid and p.is_verified and p.credential = any (app.emergency_credentials()));
  if v_pid is null or not allowed then
    return;
  end if;
  if v_pid = any (app.related_patient_ids(uid)) then
    raise exception 'You can already read this chart.' using errcode = 'CB409';
  end if;
  if p_reason is null or length(btrim(p_reason)) < 10 then
    raise exception 'A reason of at least 10 characters is required.' using errcode = 'check_violation';
  end if;
  return query
    insert into public.emergency_access_grants as g (patient_id, provider_id, reason, expires_at)
    values (v_pid, uid, btrim(p_reason), now() + make_interval(mins => least(greatest(coalesce(p_minutes, 60), 1), 720)))
    returning g.id, g.patient_id, g.expires_at;
end $$;
grant execute on function app.open_emergency_access(text, date, text, integer) to authenticated;
alter function app.open_emergency_access(text, date, text, integer) owner to service_role;

-- Ends one of the caller's own open grants now. True when it was open.
create function app.end_emergency_access(p_id uuid) returns boolean
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  update public.emergency_access_grants g
     set ended_at = now(), ended_by = auth.uid()
   where g.id = p_id and g.provider_id = auth.uid() and g.ended_at is null and g.expires_at > now();
  return found;
end $$;
grant execute on function app.end_emergency_access(uuid) to authenticated;
alter function app.end_emergency_access(uuid) owner to service_role;

-- Mails the care team of a grant the caller opened in THIS transaction (one sealed body,
-- rendered by the application, the same for every member: it names nobody). The caller
-- never learns the addresses. Returns how many mails were queued.
create function app.enqueue_emergency_notice(p_grant uuid, p_subject text, p_body_sealed text, p_status text)
  returns integer
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  n integer;
begin
  if p_status not in ('pending', 'held') then
    raise exception 'Invalid mail status.' using errcode = 'invalid_parameter_value';
  end if;
  insert into app.mail_outbox (kind, to_address, subject, body_sealed, status)
  select distinct 'emergency_access', u.email, p_subject, p_body_sealed, p_status
    from public.emergency_access_grants g
    join public.care_team ct on ct.patient_id = g.patient_id
    join public.providers p on p.user_id = ct.provider_id and p.is_verified
    join auth.users u on u.id = ct.provider_id and u.is_active
   where g.id = p_grant
     and g.provider_id = auth.uid()
     and g.created_at = now(); -- opened in this very transaction
  get diagnostics n = row_count;
  return n;
end $$;
grant execute on function app.enqueue_emergency_notice(uuid, text, text, text) to authenticated;
alter function app.enqueue_emergency_notice(uuid, text, text, text) owner to service_role;

-- "Who accessed my record": the grants on the caller's own record, with the holder's name
-- and credential (a patient cannot otherwise see providers outside their care team).
create function app.my_emergency_accesses()
  returns table (id uuid, patient_id uuid, provider_name text, credential text, reason text,
                 created_at timestamptz, expires_at timestamptz, ended_at timestamptz)
  language sql stable security definer
  set search_path = ''
as $$
  select g.id, g.patient_id, u.full_name, p.credential, g.reason, g.created_at, g.expires_at, g.ended_at
    from public.emergency_access_grants g
    join auth.users u on u.id = g.provider_id
    left join public.providers p on p.user_id = g.provider_id
   where g.patient_id = any (app.my_patient_ids())
   order by g.created_at desc
   limit 200
$$;
grant execute on function app.my_emergency_accesses() to authenticated;
alter function app.my_emergency_accesses() owner to service_role;
