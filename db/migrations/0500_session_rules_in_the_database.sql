-- Session rules decided by the database, for every channel (issue #12, docs/security.md).
--
-- Before: withUser set the request's claims from whatever the access token said, and the
-- session row was checked (at most once a second, by src/core/auth/sessions.ts) only for
-- revocation. An admin at aal1 acted as app_admin and read every chart; an MFA-pending
-- session read PHI over realtime; idle staff sockets kept receiving events.
--
-- Now:
--   * auth.session_is_live(): ONE definition of a live session (not revoked, not expired,
--     account active, no MFA enrolment pending, and for staff not idle). Realtime delivery,
--     the socket sweep and withUser all use it.
--   * auth.enter_session(): called by withUser in the same statement that sets the claims
--     and switches the role. It raises unless the session row is live, not pending, and
--     (for app_admin) at aal2 on an admin account. Nothing the token says is trusted.
--   * auth.resolve_session(): the session row's role, aal and pending flag for an access
--     token (the row, not the token, is the truth), touching last_seen_at once a minute.
--   * app.i_am_admin(), which every app_admin policy calls, now also requires that the
--     request's session row is live at aal2: an admin session at aal1 is never an admin
--     to the database, whatever role or claims a caller sets.

create function auth.session_is_live(p_sid uuid, p_uid uuid, p_idle_minutes integer)
  returns boolean
  language sql stable security definer
  set search_path = ''
as $$
  select exists (
    select 1
      from auth.sessions s
      join auth.users u on u.id = s.user_id
     where s.id = p_sid
       and s.user_id = p_uid
       and s.revoked_at is null
       and s.expires_at > now()
       and not s.mfa_pending
       and u.is_active
       and (u.role = 'patient' or s.last_seen_at > now() - make_interval(mins => p_idle_minutes)))
$$;
comment on function auth.session_is_live(uuid, uuid, integer) is
  'The one definition of a live session: not revoked or expired, account active, no MFA enrolment pending, staff not idle. Service paths only.';

-- Raises 'CB401' (the session has ended) or 'CB403' (two factors needed) so that withUser
-- can answer 401 or 403. Executable by every role: it runs before the role switch in the
-- same statement, reveals only whether a given (random) session id is live, and writes nothing.
create function auth.enter_session(p_sid uuid, p_uid uuid, p_db_role text, p_idle_minutes integer)
  returns void
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  r record;
begin
  if p_db_role = 'anon' then
    return;
  end if;
  select u.role, s.aal, s.mfa_pending,
         (u.role <> 'patient' and s.last_seen_at <= now() - make_interval(mins => p_idle_minutes)) as idle
    into r
    from auth.sessions s
    join auth.users u on u.id = s.user_id
   where s.id = p_sid
     and s.user_id = p_uid
     and s.revoked_at is null
     and s.expires_at > now()
     and u.is_active;
  if not found or r.idle then
    raise exception 'The session has ended.' using errcode = 'CB401';
  end if;
  if r.mfa_pending then
    raise exception 'Two-factor enrolment is pending for this session.' using errcode = 'CB403';
  end if;
  if p_db_role = 'app_admin' and (r.role <> 'admin' or r.aal <> 'aal2') then
    raise exception 'Administration needs a session with two factors.' using errcode = 'CB403';
  end if;
  if p_db_role not in ('authenticated', 'app_admin') then
    raise exception 'Unknown database role for a session.' using errcode = 'CB403';
  end if;
end $$;
grant execute on function auth.enter_session(uuid, uuid, text, integer) to public;

create function auth.resolve_session(p_sid uuid, p_uid uuid, p_idle_minutes integer)
  returns table (out_role text, out_aal text, out_mfa_pending boolean)
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  r record;
begin
  select u.role, s.aal, s.mfa_pending, s.last_seen_at < now() - interval '60 seconds' as stale
    into r
    from auth.sessions s
    join auth.users u on u.id = s.user_id
   where s.id = p_sid
     and s.user_id = p_uid
     and s.revoked_at is null
     and s.expires_at > now()
     and u.is_active
     and (u.role = 'patient' or s.last_seen_at > now() - make_interval(mins => p_idle_minutes));
  if not found then
    return;
  end if;
  if r.stale then
    update auth.sessions set last_seen_at = now() where id = p_sid;
  end if;
  out_role := r.role;
  out_aal := r.aal;
  out_mfa_pending := r.mfa_pending;
  return next;
end $$;
comment on function auth.resolve_session(uuid, uuid, integer) is
  'The live session behind an access token: role, aal and MFA-pending come from the rows, never from the token. Service path only.';

-- Every app_admin policy reads this. An admin to the database is an active admin account
-- whose request runs in a live, aal2 session (one indexed lookup per statement: an initPlan).
create or replace function app.i_am_admin() returns boolean
  language plpgsql stable security definer set search_path = ''
as $$
begin
  return app.is_admin(auth.uid()) and exists (
    select 1
      from auth.sessions s
     where s.id = nullif(auth.jwt() ->> 'session_id', '')::uuid
       and s.user_id = auth.uid()
       and s.aal = 'aal2'
       and not s.mfa_pending
       and s.revoked_at is null
       and s.expires_at > now());
end $$;
