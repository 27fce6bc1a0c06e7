-- Reading the trail: indexes for keyset pagination on (occurred_at, id), newest first,
-- alone or within one patient, actor or action; and the patient's access report.

drop index if exists public.audit_log_patient_idx;
drop index if exists public.audit_log_actor_idx;
create index audit_log_time_idx on public.audit_log (occurred_at desc, id desc);
create index audit_log_patient_time_idx on public.audit_log (patient_id, occurred_at desc, id desc) where patient_id is not null;
create index audit_log_actor_time_idx on public.audit_log (actor_id, occurred_at desc, id desc) where actor_id is not null;
create index audit_log_action_time_idx on public.audit_log (action, occurred_at desc, id desc);

-- "Who accessed my record": the patient themself, or an admin. Returns who (name and
-- account role, never only an id), when, and what; nothing else about staff. The gate is
-- inside (an empty answer otherwise); the API answers 404 before calling it.
create function app.patient_access_log(p_patient uuid, p_before_at timestamptz, p_before_id bigint, p_limit integer)
  returns table (id bigint, occurred_at timestamptz, cursor_at text, actor_name text, actor_role text, action text, kind text)
  language sql stable security definer
  set search_path = ''
as $$
  select a.id, a.occurred_at,
         to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         u.full_name, coalesce(u.role, a.actor_role), a.action, a.table_name
    from public.audit_log a
    left join auth.users u on u.id = a.actor_id
   where (p_patient = any (app.my_patient_ids()) or app.i_am_admin())
     and a.patient_id = p_patient
     and (p_before_at is null or (a.occurred_at, a.id) < (p_before_at, p_before_id))
   order by a.occurred_at desc, a.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 201)
$$;
grant execute on function app.patient_access_log(uuid, timestamptz, bigint, integer) to authenticated, app_admin;
