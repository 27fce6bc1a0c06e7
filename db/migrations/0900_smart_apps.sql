-- SMART on FHIR: outside apps connected through OAuth 2.0 (issue #17; docs/smart.md).
--
-- Three tables:
--   app.smart_apps      the registry an admin keeps: name, redirect URIs, public or
--                       confidential (secret sealed under the root secret), allowed scopes,
--                       disabled. Admins manage it; a user reads the apps they connected.
--   app.smart_grants    one row per (user, app) the user approved: the scopes granted, the
--                       patient context, the app's own session row (auth.sessions) every
--                       token of the grant acts through, last use. A user sees and removes
--                       their own; everything else is written on the service path.
--   app.oauth_payloads  what the OAuth server (oidc-provider) keeps between requests:
--                       codes, tokens, grants, interactions, keyed by a SHA-256 of the id
--                       (a bearer token never lies in the table as such). Service path only.
-- app.stage_read (0209, 0700) names the app in every read record made with an app token.

------------------------------------------------------------------------------ app.smart_apps
create table app.smart_apps (
  client_id     text primary key check (client_id ~ '^[A-Za-z0-9_-]{16,64}$'),
  name          text not null check (length(btrim(name)) between 1 and 100),
  redirect_uris text[] not null check (cardinality(redirect_uris) between 1 and 10),
  confidential  boolean not null default false,
  -- AES-256-GCM under a key derived from the root secret (the OAuth server compares it)
  secret_sealed text check (length(secret_sealed) <= 500),
  scopes        text[] not null check (cardinality(scopes) between 1 and 64),
  disabled      boolean not null default false,
  created_by    uuid references auth.users (id) on delete set null,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint smart_apps_secret_iff_confidential check (confidential = (secret_sealed is not null))
);
comment on table app.smart_apps is 'Outside apps (SMART on FHIR clients) an admin registered: redirect URIs, public or confidential, allowed scopes, disabled. No PHI.';
create trigger smart_apps_touch before update on app.smart_apps for each row execute function app.touch_updated_at();

alter table app.smart_apps enable row level security;
alter table app.smart_apps force row level security;
revoke all on app.smart_apps from anon, authenticated, app_admin;
grant select, insert, update, delete on app.smart_apps to service_role;
create policy "Service path has full access" on app.smart_apps
  for all to service_role using (true) with check (true);

grant select (client_id, name, redirect_uris, confidential, scopes, disabled, created_by, created_at, updated_at) on app.smart_apps to authenticated, app_admin;
grant insert (client_id, name, redirect_uris, confidential, secret_sealed, scopes, created_by) on app.smart_apps to app_admin;
grant update (disabled) on app.smart_apps to app_admin;

create policy "Admins read the app registry" on app.smart_apps
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins register apps as themselves" on app.smart_apps
  for insert to app_admin with check ((select app.i_am_admin()) and created_by = (select auth.uid()) and not disabled);
create policy "Admins disable and enable apps" on app.smart_apps
  for update to app_admin using ((select app.i_am_admin())) with check ((select app.i_am_admin()));

------------------------------------------------------------------------------ app.smart_grants
create table app.smart_grants (
  user_id      uuid not null references auth.users (id) on delete cascade,
  client_id    text not null references app.smart_apps (client_id) on delete cascade,
  -- the OAuth server's grant: every code and token of this connection carries it
  grant_id     text not null unique check (length(grant_id) between 8 and 128),
  -- the app's own session: withUser enters it, so revoking it stops every token at once
  session_id   uuid not null references auth.sessions (id) on delete cascade,
  scopes       text[] not null check (cardinality(scopes) between 1 and 64),
  patient_id   uuid references public.patients (id) on delete set null,
  created_at   timestamptz not null default now(),
  last_used_at timestamptz,
  primary key (user_id, client_id)
);
comment on table app.smart_grants is 'Connected apps: which user approved which app, with which scopes and patient context; the app session its tokens act through. The user sees and removes their own.';
create index smart_grants_client_idx on app.smart_grants (client_id);

alter table app.smart_grants enable row level security;
alter table app.smart_grants force row level security;
revoke all on app.smart_grants from anon, authenticated, app_admin;
grant select, insert, update, delete on app.smart_grants to service_role;
create policy "Service path has full access" on app.smart_grants
  for all to service_role using (true) with check (true);

grant select, delete on app.smart_grants to authenticated, app_admin;
create policy "Users see the apps they connected" on app.smart_grants
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users disconnect their own apps" on app.smart_grants
  for delete to authenticated using (user_id = (select auth.uid()));
create policy "Admins see the apps they connected" on app.smart_grants
  for select to app_admin using ((select app.i_am_admin()) and user_id = (select auth.uid()));
create policy "Admins disconnect their own apps" on app.smart_grants
  for delete to app_admin using ((select app.i_am_admin()) and user_id = (select auth.uid()));

-- a user reads the registry rows of the apps they connected (the name on their list)
create policy "Users read the apps they connected" on app.smart_apps
  for select to authenticated
  using (client_id = any (array(select g.client_id from app.smart_grants g where g.user_id = (select auth.uid()))));

------------------------------------------------------------------------------ app.oauth_payloads
create table app.oauth_payloads (
  model       text not null check (model ~ '^[A-Za-z]{1,40}$'),
  id_hash     text not null check (id_hash ~ '^[0-9a-f]{64}$'),
  payload     jsonb not null,
  grant_id    text,
  uid         text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  primary key (model, id_hash)
);
comment on table app.oauth_payloads is 'The OAuth server''s state (oidc-provider adapter): codes, tokens, grants, sessions, interactions, keyed by the SHA-256 of their id. Service path only.';
create index oauth_payloads_grant_idx on app.oauth_payloads (grant_id) where grant_id is not null;
create index oauth_payloads_uid_idx on app.oauth_payloads (uid) where uid is not null;
create index oauth_payloads_expires_idx on app.oauth_payloads (expires_at);

alter table app.oauth_payloads enable row level security;
alter table app.oauth_payloads force row level security;
revoke all on app.oauth_payloads from anon, authenticated, app_admin;
grant select, insert, update, delete on app.oauth_payloads to service_role;
create policy "Service path has full access" on app.oauth_payloads
  for all to service_role using (true) with check (true);

------------------------------------------------------------------------------ read records name the app
-- 0700's read-record writer; one change (marked): a read made with an app token (the
-- claims carry smart_app, set by withUser from the app's session) names the app in
-- details.app and details.via, which the patient's access log shows.
set local role service_role;
create or replace function app.stage_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
  uid    uuid := nullif(claims ->> 'sub', '')::uuid;
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if claims ->> 'role' = 'authenticated' and coalesce(cardinality(patient_ids), 0) > 0
     and not app.may_read_patients(uid, patient_ids) then
    raise exception 'Cannot record a read of a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  if pg_current_xact_id_if_assigned() is null
     and coalesce(current_setting('carebase.audit_sync_reads', true), '') <> 'on' then
    perform set_config('carebase.audit_prev_sync', current_setting('synchronous_commit'), true),
            set_config('synchronous_commit', 'off', true);
  end if;
  insert into app.audit_read_stage (actor_id, actor_role, table_name, patient_id, details, request_id, ip, user_agent)
  select uid,
         coalesce(claims ->> 'app_role', claims ->> 'role', 'system'),
         kind, p.id,
         coalesce(details, '{}'::jsonb)
           || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])))
           || case
                when claims ->> 'role' = 'service_role' then jsonb_build_object('service', true, 'service_reason', claims ->> 'reason')
                when claims = '{}'::jsonb then jsonb_build_object('db_user', session_user::text)
                else '{}'::jsonb
              end
           -- 0700: the grant a provider's read was made under
           || case
                when claims ->> 'app_role' = 'provider' and p.id is not null then coalesce((
                  select jsonb_build_object('emergency_access', g.id)
                    from public.emergency_access_grants g
                   where g.provider_id = uid and g.patient_id = p.id and g.ended_at is null and g.expires_at > now()
                   order by g.created_at desc
                   limit 1), '{}'::jsonb)
                else '{}'::jsonb
              end
           -- 0900: the outside app the read was made through
           || case
                when jsonb_typeof(claims -> 'smart_app') = 'object' then
                  jsonb_build_object('app', claims -> 'smart_app' ->> 'client_id',
                                     'via', left(claims -> 'smart_app' ->> 'name', 100))
                else '{}'::jsonb
              end,
         nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
         nullif(left(current_setting('request.user_agent', true), 512), '')
    from (select distinct x as id from unnest(coalesce(patient_ids, '{}'::uuid[])) x
          union all
          select null where coalesce(cardinality(patient_ids), 0) = 0) p;
end $$;
reset role;
