-- Reads of PHI are recorded by the data layer through this function, inside the reader's
-- own transaction (so a read that fails leaves no record, and a record cannot be skipped
-- by a read that succeeds). It runs as the service identity: application roles cannot
-- insert into audit_log directly.

create function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  pid uuid;
begin
  if patient_ids is null or cardinality(patient_ids) = 0 then
    insert into public.audit_log (actor_id, actor_role, action, table_name, details, request_id, ip, user_agent)
    values (auth.uid(), auth.jwt() ->> 'app_role', 'read', kind,
            coalesce(details, '{}'::jsonb) || jsonb_build_object('records', to_jsonb(record_ids)),
            nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
            nullif(current_setting('request.user_agent', true), ''));
    return;
  end if;
  foreach pid in array patient_ids loop
    insert into public.audit_log (actor_id, actor_role, action, table_name, patient_id, details, request_id, ip, user_agent)
    values (auth.uid(), auth.jwt() ->> 'app_role', 'read', kind, pid,
            coalesce(details, '{}'::jsonb) || jsonb_build_object('records', to_jsonb(record_ids)),
            nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
            nullif(current_setting('request.user_agent', true), ''));
  end loop;
end $$;

grant execute on function app.record_read(text, uuid[], text[], jsonb) to authenticated, app_admin;
