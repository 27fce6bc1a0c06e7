-- The access sets, tuned for how PostgreSQL uses them (docs/rls-shape.md). The rules do
-- not change: same tables, same joins, same conditions as 0004. Two things do:
--
-- 1. Every set comes back SORTED (and without duplicates). A policy's
--    `col = any ((select app.my_..._ids())::uuid[])` becomes an index condition, and on
--    PostgreSQL 15/16 a btree re-prepares its array keys on every rescan: it sorts them
--    again each time the index is probed from a nested loop (a lateral subquery, a join to
--    auth.users for a name). An already sorted array costs one pass instead of a sort;
--    measured on the bench data, a 20-row prescription list joined to its prescribers'
--    names (a 1,001-id staff set) went from 3.5 ms to 1.3 ms.
-- 2. The policy-facing my_*() wrappers are PL/pgSQL instead of SQL: a non-inlinable SQL
--    function (security definer + search_path) is parsed and planned again in every
--    statement that calls it; PL/pgSQL keeps its plan for the session.
--
-- Be extremely careful when modifying these functions: every PHI policy, realtime delivery
-- and signed-URL issue depends on them. Signatures, grants and security stay as in 0004.

create or replace function app.care_team_patient_ids(uid uuid, roles text[] default null) returns uuid[]
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
       and (roles is null or ct.role = any (roles))
     order by ct.patient_id);
end $$;

create or replace function app.own_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select pt.id
      from public.patients pt
      join auth.users u on u.id = pt.user_id and u.is_active
     where pt.user_id = uid
     order by pt.id);
end $$;

-- Care team (verified providers) or their own record. Usually one of the two is empty, and
-- the other is returned as is (already sorted); only someone who is both merges.
create or replace function app.readable_patient_ids(uid uuid) returns uuid[]
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

create or replace function app.visible_user_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if app.is_verified_provider(uid) or app.is_admin(uid) then
    return array(select u.id from auth.users u where u.role in ('provider', 'admin') or u.id = uid order by u.id);
  end if;
  return array(
    select uid
    union
    select ct.provider_id from public.care_team ct where ct.patient_id = any (app.own_patient_ids(uid))
    order by 1);
end $$;

-- The policy-facing forms: the caller's own sets, from the request's claims.
create or replace function app.my_readable_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.readable_patient_ids(auth.uid()); end $$;

create or replace function app.my_chartable_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.chartable_patient_ids(auth.uid()); end $$;

create or replace function app.my_prescribable_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.prescribable_patient_ids(auth.uid()); end $$;

create or replace function app.my_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.own_patient_ids(auth.uid()); end $$;

create or replace function app.my_visible_user_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.visible_user_ids(auth.uid()); end $$;

create or replace function app.i_am_verified_provider() returns boolean
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.is_verified_provider(auth.uid()); end $$;

create or replace function app.i_am_admin() returns boolean
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.is_admin(auth.uid()); end $$;
