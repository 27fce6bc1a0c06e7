-- The patient's access report without their own visits: a patient who opens the portal
-- every day would otherwise see their care team's reads buried under their own ("You").
-- Same function as 0204 with one more argument: records by this actor are left out.
-- The 4-argument form stays (API clients that do not ask get every record).
create function app.patient_access_log(p_patient uuid, p_before_at timestamptz, p_before_id bigint, p_limit integer, p_exclude_actor uuid)
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
     and (p_exclude_actor is null or a.actor_id is distinct from p_exclude_actor)
     and (p_before_at is null or (a.occurred_at, a.id) < (p_before_at, p_before_id))
   order by a.occurred_at desc, a.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 201)
$$;
revoke all on function app.patient_access_log(uuid, timestamptz, bigint, integer, uuid) from public;
grant execute on function app.patient_access_log(uuid, timestamptz, bigint, integer, uuid) to authenticated, app_admin;
