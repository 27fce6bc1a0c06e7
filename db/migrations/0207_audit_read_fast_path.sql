-- app.record_read in one statement: the records of all patients inserted by one
-- INSERT ... SELECT, with the actor and request fields computed inline, instead of a loop
-- calling app.audit_write per patient (bench/audit.ts: about a third of the server-side
-- cost of a read record). Same records, same rules as 0202/0205.
create or replace function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if pg_current_xact_id_if_assigned() is null
     and coalesce(current_setting('carebase.audit_sync_reads', true), '') <> 'on' then
    perform set_config('carebase.audit_prev_sync', current_setting('synchronous_commit'), true),
            set_config('synchronous_commit', 'off', true);
  end if;
  insert into public.audit_log (actor_id, actor_role, action, table_name, patient_id, details, request_id, ip, user_agent)
  select nullif(claims ->> 'sub', '')::uuid,
         coalesce(claims ->> 'app_role', claims ->> 'role', 'system'),
         'read', kind, p.id,
         coalesce(details, '{}'::jsonb)
           || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])))
           || case
                when claims ->> 'role' = 'service_role' then jsonb_build_object('service', true, 'service_reason', claims ->> 'reason')
                when claims = '{}'::jsonb then jsonb_build_object('db_user', session_user::text)
                else '{}'::jsonb
              end,
         nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
         nullif(left(current_setting('request.user_agent', true), 512), '')
    from (select distinct x as id from unnest(coalesce(patient_ids, '{}'::uuid[])) x
          union all
          select null where coalesce(cardinality(patient_ids), 0) = 0) p;
end $$;
