-- Realtime fan-out: one authorisation query per change that costs the same whatever the
-- number of subscribers (issue #20, goal 2).
--
-- The hub decides, for every subscriber of a patient at once, whether each may see a
-- change and whether each subscriber's session is still live. Until now it asked
-- `patient = any (app.readable_patient_ids(uid))` and `auth.session_is_live(sid, uid, n)`
-- once per subscriber: 40 subscribers were ~240 function calls and 1.7 ms of the
-- database's time per change, which capped the fan-out near 270 changes/s on 2 cores.
--
--   * app.patient_reader_ids(patient): the users for whom `patient` is in
--     app.readable_patient_ids(uid): the inverse of that set, in one lookup per source
--     (care team, the patient's own account, open emergency grants).
--   * app.patient_care_team_ids(patient): the inverse of app.chartable_patient_ids
--     (the care_messages read set).
--   * auth.live_session_ids(sids, uids, idle): which of these sessions are live, in one
--     statement: the rule of auth.session_is_live() (0500) for many sessions at once.
--     session_is_live keeps its own body: a single check through the set function cost
--     75 µs instead of 7 (i_am_admin() calls it in every admin statement).
--
-- Be extremely careful here: the two inverse sets MUST stay equal to the forward sets
-- they mirror, and live_session_ids to session_is_live.
-- tests/realtime/authorisation-sets.test.ts checks, on both engines,
-- every (user, patient) pair of a clinic with every kind of relation (care team,
-- unverified provider, deactivated account, own record, open / expired / ended grant,
-- a grant without an emergency credential): reader ⇔ readable, and every kind of ended
-- session: live_session_ids ⇔ session_is_live. Whoever changes app.care_team_patient_ids,
-- app.own_patient_ids, app.emergency_patient_ids, app.readable_patient_ids or
-- auth.session_is_live changes these in the same migration.

set local role service_role;

-- plpgsql, like the forward sets: its plans are kept for the session (a SQL function that
-- is not inlined, as a SECURITY DEFINER one never is, plans its body at every call).
-- Each source is walked from the patient's own index entries, and each candidate checked by
-- primary key inside a LATERAL ... LIMIT 1 (which the planner cannot turn into a hash join
-- over every provider or session): the cost follows the patient's team, not the clinic.
create function app.patient_reader_ids(patient uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    -- app.care_team_patient_ids: verified providers with an active account on the team
    select ct.provider_id
      from public.care_team ct
     cross join lateral (select 1 from public.providers p join auth.users u on u.id = p.user_id
                          where p.user_id = ct.provider_id and p.is_verified and u.is_active limit 1) ok
     where ct.patient_id = patient
    union
    -- app.own_patient_ids: the patient's own active account
    select pt.user_id
      from public.patients pt
     cross join lateral (select 1 from auth.users u where u.id = pt.user_id and u.is_active limit 1) ok
     where pt.id = patient
    union
    -- app.emergency_patient_ids: open grants of verified, active providers with an emergency credential
    select g.provider_id
      from public.emergency_access_grants g
     cross join lateral (select 1 from public.providers p join auth.users u on u.id = p.user_id
                          where p.user_id = g.provider_id and p.is_verified
                            and p.credential = any (app.emergency_credentials()) and u.is_active limit 1) ok
     where g.patient_id = patient
       and g.ended_at is null
       and g.expires_at > now());
end $$;
comment on function app.patient_reader_ids(uuid) is
  'The inverse of app.readable_patient_ids: every user who may read this patient. Keep in step with it (tests/realtime/authorisation-sets.test.ts). Service paths only.';

create function app.patient_care_team_ids(patient uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select ct.provider_id
      from public.care_team ct
     cross join lateral (select 1 from public.providers p join auth.users u on u.id = p.user_id
                          where p.user_id = ct.provider_id and p.is_verified and u.is_active limit 1) ok
     where ct.patient_id = patient);
end $$;
comment on function app.patient_care_team_ids(uuid) is
  'The inverse of app.chartable_patient_ids: the care team members who may chart for this patient. Keep in step with it (tests/realtime/authorisation-sets.test.ts). Service paths only.';

create function auth.live_session_ids(p_sids uuid[], p_uids uuid[], p_idle_minutes integer)
  returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  return array(
    select c.sid
      from unnest(p_sids, p_uids) as c(sid, uid)
     cross join lateral (
       select 1
         from auth.sessions s
         join auth.users u on u.id = s.user_id
        where s.id = c.sid
          and s.user_id = c.uid
          and s.revoked_at is null
          and s.expires_at > now()
          and not s.mfa_pending
          and u.is_active
          and (u.role = 'patient' or s.last_seen_at > now() - make_interval(mins => p_idle_minutes))
        limit 1) ok);
end $$;
comment on function auth.live_session_ids(uuid[], uuid[], integer) is
  'auth.session_is_live for many sessions at once: not revoked or expired, account active, no MFA enrolment pending, staff not idle. Keep in step with it (tests/realtime/authorisation-sets.test.ts). Service paths only.';

revoke all on function app.patient_reader_ids(uuid) from public;
revoke all on function app.patient_care_team_ids(uuid) from public;
revoke all on function auth.live_session_ids(uuid[], uuid[], integer) from public;

reset role;
