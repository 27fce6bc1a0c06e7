-- The audit writers callable by application roles must not let a user write records
-- about patients they cannot read, or in someone else's name (found by the access
-- matrix: a patient could plant a "read visits" record in another patient's access log).
-- The unchecked bodies stay, renamed and callable only by the owner; the public names
-- check the caller first. Service paths (claims role service_role, or no claims) and
-- admins (who may read every chart) are not restricted.

alter function app.record_read(text, uuid[], text[], jsonb) rename to record_read_unchecked;
revoke execute on function app.record_read_unchecked(text, uuid[], text[], jsonb) from authenticated, app_admin;

create function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  if auth.role() = 'authenticated' and coalesce(cardinality(patient_ids), 0) > 0
     and not (patient_ids <@ app.readable_patient_ids(auth.uid())) then
    raise exception 'Cannot record a read of a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  perform app.record_read_unchecked(kind, patient_ids, record_ids, details);
end $$;
grant execute on function app.record_read(text, uuid[], text[], jsonb) to authenticated, app_admin;

alter function app.record_event(text, uuid, uuid, uuid, jsonb) rename to record_event_unchecked;
revoke execute on function app.record_event_unchecked(text, uuid, uuid, uuid, jsonb) from authenticated, app_admin;

create function app.record_event(p_action text, p_actor_id uuid, p_target_user_id uuid, p_patient_id uuid, p_details jsonb)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  -- (the actor of a signed-in call is always the caller: audit_write takes it from the claims)
  if auth.role() = 'authenticated' and p_patient_id is not null
     and not (p_patient_id = any (app.readable_patient_ids(auth.uid()))) then
    raise exception 'Cannot record an event about a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  perform app.record_event_unchecked(p_action, p_actor_id, p_target_user_id, p_patient_id, p_details);
end $$;
grant execute on function app.record_event(text, uuid, uuid, uuid, jsonb) to authenticated, app_admin;
