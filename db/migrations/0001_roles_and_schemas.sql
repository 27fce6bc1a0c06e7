-- Database roles (Supabase conventions) and the schemas everything else lives in.
--
-- anon           no claims; sees nothing.
-- authenticated  patients and providers; every PHI policy is written TO this role.
-- app_admin      clinic administrators: their own role with their own policies, so that
--                no provider policy carries an "or is_admin" branch (see docs/rls-shape.md).
-- The migration owner (the application's login) is the service identity: it owns the
-- tables, so it bypasses RLS. Only `asService(...)` in src/core/db runs as it.
--
-- Roles are cluster-wide: several databases (and several instances migrating at once)
-- may race to create them, hence one guarded block per role.

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'app_admin') then
    create role app_admin nologin noinherit;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

-- The login must be able to SET ROLE to each of them (withUser does SET LOCAL ROLE).
grant anon, authenticated, app_admin to current_user;

create schema if not exists auth;
create schema if not exists app;
create schema if not exists storage;

-- Application roles create nothing anywhere.
revoke create on schema public from public;
grant usage on schema public, auth, app, storage to anon, authenticated, app_admin;

-- Functions are not executable by everyone unless granted explicitly.
alter default privileges revoke execute on functions from public;

create extension if not exists pg_trgm;
create extension if not exists btree_gist;
