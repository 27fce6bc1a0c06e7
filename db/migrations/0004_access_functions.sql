-- Access is a relationship, written once. Be extremely careful when modifying these
-- functions: every PHI policy, realtime delivery and signed-URL issue depends on them.
--
-- Shape (docs/rls-shape.md): each returns the whole set as uuid[] so that a policy can say
--   using (patient_id = any ((select app.my_readable_patient_ids())))
-- which PostgreSQL evaluates once per statement (an initPlan) and turns into an index
-- condition. The *_patient_ids(uid) forms are for service code (realtime fan-out,
-- signed-URL checks); application roles cannot call them with someone else's uid.

-- A verified, active provider's care-team patients, optionally limited to some team roles.
create function app.care_team_patient_ids(uid uuid, roles text[] default null) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select ct.patient_id
      from public.care_team ct
      join public.providers p on p.user_id = ct.provider_id and p.is_verified
      join auth.users u on u.id = ct.provider_id and u.is_active
     where ct.provider_id = uid
       and (roles is null or ct.role = any (roles)));
end $$;

-- The patient records that belong to a patient's own (active) account.
create function app.own_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select pt.id
      from public.patients pt
      join auth.users u on u.id = pt.user_id and u.is_active
     where pt.user_id = uid);
end $$;

-- Patients whose record a user may read: care team (verified providers) or their own.
create function app.readable_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return app.care_team_patient_ids(uid) || app.own_patient_ids(uid);
end $$;

-- Patients a user may chart for (visits, vitals, messages, documents, demographics).
create function app.chartable_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return app.care_team_patient_ids(uid);
end $$;

-- Patients a user may prescribe for: attending and specialist members only.
create function app.prescribable_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return app.care_team_patient_ids(uid, array['attending', 'specialist']);
end $$;

-- One per-row predicate for the service paths that check many users at once (realtime).
create function app.can_read_patient(uid uuid, patient uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select patient = any (app.readable_patient_ids(uid))
$$;

create function app.is_verified_provider(uid uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select exists (
    select 1 from public.providers p join auth.users u on u.id = p.user_id
     where p.user_id = uid and p.is_verified and u.is_active)
$$;

create function app.is_admin(uid uuid) returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select exists (select 1 from auth.users u where u.id = uid and u.role = 'admin' and u.is_active)
$$;

-- Accounts whose name and role a user may see: themselves; for verified providers and
-- admins, all staff; for patients, the providers on their care team.
create function app.visible_user_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if app.is_verified_provider(uid) or app.is_admin(uid) then
    return array(select u.id from auth.users u where u.role in ('provider', 'admin') or u.id = uid);
  end if;
  return array(
    select uid
    union
    select ct.provider_id from public.care_team ct where ct.patient_id = any (app.own_patient_ids(uid)));
end $$;

-- The policy-facing forms: the caller's own sets, from the request's claims.
create function app.my_readable_patient_ids() returns uuid[]
  language sql stable security definer set search_path = ''
as $$ select app.readable_patient_ids(auth.uid()) $$;

create function app.my_chartable_patient_ids() returns uuid[]
  language sql stable security definer set search_path = ''
as $$ select app.chartable_patient_ids(auth.uid()) $$;

create function app.my_prescribable_patient_ids() returns uuid[]
  language sql stable security definer set search_path = ''
as $$ select app.prescribable_patient_ids(auth.uid()) $$;

create function app.my_patient_ids() returns uuid[]
  language sql stable security definer set search_path = ''
as $$ select app.own_patient_ids(auth.uid()) $$;

create function app.my_visible_user_ids() returns uuid[]
  language sql stable security definer set search_path = ''
as $$ select app.visible_user_ids(auth.uid()) $$;

create function app.i_am_verified_provider() returns boolean
  language sql stable security definer set search_path = ''
as $$ select app.is_verified_provider(auth.uid()) $$;

create function app.i_am_admin() returns boolean
  language sql stable security definer set search_path = ''
as $$ select app.is_admin(auth.uid()) $$;

-- Is this provider on the care team of a patient the caller can read? (appointment requests)
create function app.on_readable_care_team(patient uuid, provider uuid) returns boolean
  language sql stable security definer set search_path = ''
as $$
  select patient = any (app.readable_patient_ids(auth.uid()))
     and exists (select 1 from public.care_team ct where ct.patient_id = patient and ct.provider_id = provider)
$$;

grant execute on function
  app.my_readable_patient_ids(), app.my_chartable_patient_ids(), app.my_prescribable_patient_ids(),
  app.my_patient_ids(), app.my_visible_user_ids(), app.i_am_verified_provider(), app.i_am_admin(),
  app.on_readable_care_team(uuid, uuid)
  to authenticated, app_admin;

-- Whoever registers a patient joins its care team as attending (if they are a provider).
create function app.creator_joins_care_team() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
begin
  if exists (select 1 from public.providers p where p.user_id = new.created_by) then
    insert into public.care_team (patient_id, provider_id, role, added_by)
    values (new.id, new.created_by, 'attending', new.created_by);
  end if;
  return new;
end $$;

create trigger patients_creator_joins_care_team after insert on public.patients
  for each row execute function app.creator_joins_care_team();
