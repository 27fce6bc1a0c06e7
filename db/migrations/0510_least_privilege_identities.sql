-- Least-privilege database identities (issue #12, docs/security.md "Identities").
--
-- Before: the runtime login owned every table, RLS was enabled but forced on none, so any
-- query outside withUser/asService silently bypassed RLS, and asService ran as the owner.
--
-- Now:
--   * service_role: the service identity. asService switches to it (set_config('role',
--     'service_role', true)) exactly as withUser switches to authenticated/app_admin, and
--     its access is written out: a policy "Service path has full access" on every table,
--     table grants without update/delete on the audit trail. It owns every SECURITY
--     DEFINER function, so those run as it too.
--   * FORCE ROW LEVEL SECURITY on every table with RLS: the table owner (the migration
--     login) is held to the policies as well, and it has none. A query that forgot the way
--     in sees no rows and cannot write (fails closed).
--   * Logins reach service_role only through app_runtime (NOINHERIT): they may SET ROLE to
--     it, but their own statements get none of its rights (otherwise "TO service_role"
--     policies would apply to the raw login).
--   * app_runtime is also the embedded engine's session role. PGlite's only login is a
--     superuser, which RLS never restricts; the server sets this role for the session after
--     migrating (src/core/db/engine.ts), so raw statements there get "permission denied".
--   * app.audit_write ignores a caller-supplied actor and service*/db_user detail keys for
--     application roles; app.documents_guard checks reviewed_at too.

-- First the two function changes, while the migration login still owns every function.

-- Who writes an audit record is never the caller's say on an application role's path.
-- (The body of 0205 with two changes, marked.)
create or replace function app.audit_write(
  p_action text, p_table text, p_record_id text, p_patient_id uuid,
  p_old jsonb, p_new jsonb, p_details jsonb, p_actor_id uuid default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims  jsonb := auth.jwt();
  uid     uuid := nullif(claims ->> 'sub', '')::uuid; -- auth.uid(), without parsing the claims twice
  d       jsonb := coalesce(p_details, '{}'::jsonb);
  v_actor uuid;
  v_role  text;
  v_sync  text;
begin
  if p_action <> 'read' then
    v_sync := nullif(current_setting('carebase.audit_prev_sync', true), '');
    if v_sync is not null then
      perform set_config('synchronous_commit', v_sync, true);
    end if;
  end if;
  -- 0510: an application role (a user, an admin, a device, anonymous; the role that
  -- withUser set) names no actor but itself, and cannot make its record look like the
  -- service path's (service, service_reason, db_user are the writer's marks).
  if coalesce(current_setting('role', true), 'none') in ('anon', 'authenticated', 'app_admin') then
    p_actor_id := null;
    d := app.audit_strip_service_marks(d);
  end if;
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

-- The writer's own marks (service, service_reason, db_user), which a caller's details may not carry.
create function app.audit_strip_service_marks(d jsonb) returns jsonb
  language sql immutable
  set search_path = ''
as $$
  select d operator(pg_catalog.-) array['service', 'service_reason', 'db_user']
$$;

-- Read records are staged by app.stage_read (0209), which copies the caller's details:
-- the same rule for them, at the insert.
create function app.audit_stage_caller_details() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if coalesce(current_setting('role', true), 'none') in ('anon', 'authenticated', 'app_admin') then
    new.details := app.audit_strip_service_marks(new.details);
  end if;
  return new;
end $$;
-- The WHEN clause keeps the hot path free: the function runs only for details that carry a mark.
create trigger audit_read_stage_caller_details before insert on app.audit_read_stage
  for each row when (new.details ?| array['service', 'service_reason', 'db_user'])
  execute function app.audit_stage_caller_details();

-- The application roles' entry point for read records (0208) writes straight into the
-- trail through app.record_read_unchecked: the caller's details lose the writer's marks here.
create or replace function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  if auth.role() = 'authenticated' and coalesce(cardinality(patient_ids), 0) > 0
     and not (patient_ids <@ app.readable_patient_ids(auth.uid())) then
    raise exception 'Cannot record a read of a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  if details is not null and coalesce(current_setting('role', true), 'none') in ('anon', 'authenticated', 'app_admin') then
    details := app.audit_strip_service_marks(details);
  end if;
  perform app.record_read_unchecked(kind, patient_ids, record_ids, details);
end $$;

create or replace function app.documents_guard() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  -- Application roles only; the service path (app.soft_delete_document, the retention job) passes.
  if current_user in ('authenticated', 'app_admin', 'anon') then
    if new.deleted_at is distinct from old.deleted_at
       or new.deleted_by is distinct from old.deleted_by
       or new.delete_reason is distinct from old.delete_reason then
      raise exception 'documents are deleted through app.soft_delete_document()' using errcode = '42501';
    end if;
    if (new.reviewed_by is distinct from old.reviewed_by or new.reviewed_at is distinct from old.reviewed_at)
       and (new.reviewed_by is distinct from auth.uid() or new.reviewed_at is distinct from now()) then
      raise exception 'a review is recorded as the reviewer, at the time it is made' using errcode = '42501';
    end if;
    if new.object_key is distinct from old.object_key or new.patient_id is distinct from old.patient_id then
      raise exception 'a document''s object and patient never change' using errcode = '42501';
    end if;
  end if;
  return new;
end $$;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'app_runtime') then
    create role app_runtime nologin noinherit;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

-- How a login may act as the application roles without holding their rights: through
-- app_runtime, which is NOINHERIT. A login granted app_runtime may SET ROLE to anon,
-- authenticated, app_admin and service_role (membership is transitive), but its own
-- statements get none of their privileges or policies (inheritance stops at app_runtime).
-- app_runtime itself executes one thing: auth.enter_session (granted to public), which
-- withUser calls in the statement that switches the role.
-- Role memberships are cluster-wide: several databases (and instances) migrating at once
-- may race to add the same one, hence the guard.
do $$ begin
  grant anon, authenticated, app_admin, service_role to app_runtime;
  grant app_runtime to current_user;
exception when unique_violation or duplicate_object then null;
end $$;
-- Usage of the schemas (names only: every table and function still needs its own grant),
-- so that a raw statement fails at execution with "permission denied for table/function",
-- an ordinary error, rather than while the statement is parsed.
grant usage on schema public, auth, app, storage to app_runtime;
-- 0001 also granted anon, authenticated and app_admin to the migration login directly, and
-- they stay (revoking them would make every later database's 0001 race to grant them again).
-- Their policies all read the request's claims, which a raw statement does not carry, so it
-- still sees no row of a patient; service_role, whose policies do not, is never granted to
-- a login directly.
do $$ begin
  revoke service_role from current_user;
exception when others then null;
end $$;

-- What the service identity may touch: everything in the application's schemas, as grants
-- (RLS policies below), except rewriting the audit trail.
grant usage on schema public, auth, app, storage to service_role;
grant select, insert, update, delete on all tables in schema public, auth, app, storage to service_role;
revoke update, delete, truncate on public.audit_log, app.audit_checkpoints from service_role;
revoke update, truncate on app.audit_read_stage from service_role;
revoke all on app.schema_migrations from service_role;
grant usage, select, update on all sequences in schema public, auth, app, storage to service_role;
grant execute on all functions in schema auth, app, storage to service_role;
alter default privileges in schema public, auth, app, storage grant select, insert, update, delete on tables to service_role;
alter default privileges in schema public, auth, app, storage grant usage, select, update on sequences to service_role;
alter default privileges in schema auth, app, storage grant execute on functions to service_role;

-- Every table with RLS: the service path's policy, and RLS forced on the owner.
do $$
declare
  t record;
begin
  for t in
    select n.nspname, c.relname
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and c.relrowsecurity
       and n.nspname in ('public', 'auth', 'app', 'storage')
  loop
    execute format('create policy "Service path has full access" on %I.%I for all to service_role using (true) with check (true)', t.nspname, t.relname);
    execute format('alter table %I.%I force row level security', t.nspname, t.relname);
  end loop;
end $$;

-- SECURITY DEFINER functions run as service_role (the owner would see nothing now).
-- ALTER ... OWNER needs the new owner to have CREATE on the schema.
-- It keeps CREATE there: a later migration that replaces one of these functions does so
-- as its owner (`set local role service_role; create or replace function …; reset role;`).
grant create on schema auth, app, storage to service_role;
do $$
declare
  f record;
  v_owner text := current_user;
  v_triggers text[] := '{}';
begin
  for f in
    select p.oid::regprocedure::text as sig, p.prorettype = 'trigger'::regtype as is_trigger
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where p.prosecdef and n.nspname in ('auth', 'app', 'storage')
  loop
    execute format('alter function %s owner to service_role', f.sig);
    if f.is_trigger then v_triggers := v_triggers || f.sig; end if;
  end loop;
  -- The schema's owner still attaches trigger functions to new tables (app.audit_table); a
  -- trigger function cannot be called any other way. Granted by their new owner.
  execute 'set local role service_role';
  for i in 1 .. coalesce(array_length(v_triggers, 1), 0) loop
    execute format('grant execute on function %s to %I', v_triggers[i], v_owner);
  end loop;
  execute 'reset role';
end $$;

