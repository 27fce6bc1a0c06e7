-- The writers of the audit trail. All of them go through app.audit_write, which fills in
-- who (the request's claims) and where from (request.id / request.ip / request.user_agent,
-- set by withUser and asService). None is callable by application roles except the two
-- entry points the data layer needs inside withUser: app.record_read and app.record_event.

-- Columns that are never copied into the trail, whatever the table.
create function app.audit_secret_columns() returns text[]
  language sql immutable
  set search_path = ''
as $$ select array['password_hash', 'token_hash', 'code_hash', 'secret_enc'] $$;

create function app.audit_write(
  p_action text, p_table text, p_record_id text, p_patient_id uuid,
  p_old jsonb, p_new jsonb, p_details jsonb, p_actor_id uuid default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims  jsonb := auth.jwt();
  uid     uuid := auth.uid();
  d       jsonb := coalesce(p_details, '{}'::jsonb);
  v_actor uuid;
  v_role  text;
begin
  if uid is not null then
    -- a signed-in user: the claims say who, whatever the caller passed
    v_actor := uid;
    v_role := coalesce(claims ->> 'app_role', claims ->> 'role');
  elsif p_actor_id is not null then
    -- service path acting for a known account (sign-in, invite redemption)
    v_actor := p_actor_id;
    select u.role into v_role from auth.users u where u.id = p_actor_id;
  else
    v_role := coalesce(claims ->> 'app_role', claims ->> 'role', 'system');
  end if;
  if claims ->> 'role' = 'service_role' then
    d := d || jsonb_build_object('service', true, 'service_reason', claims ->> 'reason');
  elsif claims = '{}'::jsonb then
    -- no claims at all: migrations, or someone at a psql prompt
    d := d || jsonb_build_object('db_user', session_user::text);
  end if;
  insert into public.audit_log
    (actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details, request_id, ip, user_agent)
  values
    (v_actor, v_role, p_action, p_table, p_record_id, p_patient_id, p_old, p_new, d,
     nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
     nullif(left(current_setting('request.user_agent', true), 512), ''));
end $$;

------------------------------------------------------------------------------ writes
-- One record per changed row, for any table. Arguments (optional): the record id column
-- (default 'id') and the patient id column (default 'patient_id'). Adding a PHI table to
-- the trail is one line (docs/audit.md):
--   create trigger <t>_audit after insert or update or delete on public.<t>
--     for each row execute function app.audit_row_change();
create function app.audit_row_change() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  id_col      text := coalesce(tg_argv[0], 'id');
  patient_col text := coalesce(tg_argv[1], 'patient_id');
  o jsonb;
  n jsonb;
  r jsonb;
begin
  if tg_op <> 'INSERT' then o := to_jsonb(old) - app.audit_secret_columns(); end if;
  if tg_op <> 'DELETE' then n := to_jsonb(new) - app.audit_secret_columns(); end if;
  r := coalesce(n, o);
  perform app.audit_write(
    lower(tg_op),
    case when tg_table_schema = 'public' then tg_table_name else tg_table_schema || '.' || tg_table_name end,
    r ->> id_col, (r ->> patient_col)::uuid, o, n, null);
  return null;
end $$;

-- Vitals arrive in batches of up to 1,000 samples: one record per statement and patient,
-- carrying a summary (ids, per-metric counts, time span, devices) instead of each sample.
-- One trigger per event, each with its transition tables (old_rows / new_rows).
create function app.audit_vitals_batch() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  b record;
begin
  if tg_op = 'INSERT' then
    for b in
      select s.patient_id,
             jsonb_build_object(
               'count', count(*), 'ids', jsonb_agg(s.id order by s.id),
               'metrics', (select jsonb_object_agg(m.metric, m.n)
                             from (select x.metric, count(*) as n from new_rows x where x.patient_id = s.patient_id group by x.metric) m),
               'recorded_from', min(s.recorded_at), 'recorded_to', max(s.recorded_at),
               'device_ids', coalesce(jsonb_agg(distinct s.device_id) filter (where s.device_id is not null), '[]'::jsonb)) as summary
        from new_rows s group by s.patient_id
    loop
      perform app.audit_write('insert', 'vitals', null, b.patient_id, null, b.summary, '{"batch": true}'::jsonb);
    end loop;
  elsif tg_op = 'DELETE' then
    for b in
      select s.patient_id, jsonb_build_object('count', count(*), 'ids', jsonb_agg(s.id order by s.id)) as summary
        from old_rows s group by s.patient_id
    loop
      perform app.audit_write('delete', 'vitals', null, b.patient_id, b.summary, null, '{"batch": true}'::jsonb);
    end loop;
  else
    for b in
      select s.patient_id, jsonb_build_object('count', count(*), 'ids', jsonb_agg(s.id order by s.id)) as summary
        from new_rows s group by s.patient_id
    loop
      perform app.audit_write('update', 'vitals', null, b.patient_id,
        (select jsonb_build_object('count', count(*), 'ids', jsonb_agg(o.id order by o.id)) from old_rows o where o.patient_id = b.patient_id),
        b.summary, '{"batch": true}'::jsonb);
    end loop;
  end if;
  return null;
end $$;

------------------------------------------------------------------------------ reads
-- Supersedes 0200's body (same signature): one record per patient per call, written with
-- the common actor rules. The record ids go into details.records.
create or replace function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  pid uuid;
  d jsonb := coalesce(details, '{}'::jsonb) || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])));
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if patient_ids is null or cardinality(patient_ids) = 0 then
    perform app.audit_write('read', kind, null, null, null, null, d);
    return;
  end if;
  foreach pid in array array(select distinct x from unnest(patient_ids) x) loop
    perform app.audit_write('read', kind, null, pid, null, null, d);
  end loop;
end $$;

------------------------------------------------------------------------------ account events
-- Written through src/core/audit/events.ts (recordEvent). Inside withUser the actor is
-- always the signed-in user; on the service path (sign-in) the caller names the actor.
-- Secret-looking keys are dropped from details whatever the caller passed.
create function app.record_event(p_action text, p_actor_id uuid, p_target_user_id uuid, p_patient_id uuid, p_details jsonb)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  if p_action is null or p_action !~ '^[a-z_]{1,32}\.[a-z_]{1,48}$' then
    raise exception 'Invalid audit event action.' using errcode = 'invalid_parameter_value';
  end if;
  if p_details is not null and jsonb_typeof(p_details) <> 'object' then
    raise exception 'Audit event details must be an object.' using errcode = 'invalid_parameter_value';
  end if;
  perform app.audit_write(
    p_action, null, p_target_user_id::text, p_patient_id, null, null,
    coalesce(p_details, '{}'::jsonb) - array['password', 'new_password', 'token', 'access_token', 'refresh_token',
                                             'code', 'totp_code', 'recovery_code', 'invite_code', 'secret']
      || case when p_target_user_id is null then '{}'::jsonb else jsonb_build_object('target_user_id', p_target_user_id) end,
    p_actor_id);
end $$;

grant execute on function app.record_event(text, uuid, uuid, uuid, jsonb) to authenticated, app_admin;
