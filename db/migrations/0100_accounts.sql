-- Accounts: TOTP factors, recovery codes, sign-in throttling, clinic settings, and the
-- grants that let an admin (app_admin, under RLS) create accounts.
--
-- Secrets never leave the service identity: the TOTP secret (AES-256-GCM, key derived
-- from CAREBASE_SECRET), recovery-code hashes and throttle rows have no column grants
-- for application roles.

------------------------------------------------------------------------------ TOTP factors
create table auth.mfa_factors (
  user_id        uuid primary key references auth.users (id) on delete cascade,
  secret_enc     text not null,
  enabled_at     timestamptz,
  -- the last 30-second step accepted: a code is never accepted twice
  last_used_step bigint,
  created_at     timestamptz not null default now()
);
comment on table auth.mfa_factors is 'One TOTP factor per account; the secret is encrypted with a key derived from CAREBASE_SECRET. MFA is on once enabled_at is set.';

create table auth.recovery_codes (
  id         bigint generated always as identity primary key,
  user_id    uuid not null references auth.users (id) on delete cascade,
  code_hash  text not null,
  used_at    timestamptz,
  created_at timestamptz not null default now(),
  constraint recovery_codes_unique unique (user_id, code_hash)
);
comment on table auth.recovery_codes is 'Single-use MFA recovery codes, stored as SHA-256 only.';

alter table auth.mfa_factors enable row level security;
alter table auth.recovery_codes enable row level security;
revoke all on auth.mfa_factors, auth.recovery_codes from anon, authenticated, app_admin;
-- Whether MFA is on is not secret: users see their own, admins everyone's.
grant select (user_id, enabled_at) on auth.mfa_factors to authenticated, app_admin;
create policy "Users see their own factor state" on auth.mfa_factors
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Admins see who has MFA" on auth.mfa_factors
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ throttling
-- Fixed-window counters (per IP, per account key) shared by every instance.
create table auth.rate_limits (
  bucket       text not null,
  key          text not null,
  window_start timestamptz not null default now(),
  hits         integer not null default 0,
  primary key (bucket, key)
);
comment on table auth.rate_limits is 'Request counters for sign-in, sign-up, refresh and invite redemption. Keys are HMACs, never raw emails.';
create index rate_limits_window_idx on auth.rate_limits (window_start);

-- Consecutive sign-in failures per email (HMAC), known or not, so that lockout does not
-- reveal whether an account exists.
create table auth.sign_in_failures (
  email_key       text primary key,
  failures        integer not null default 0,
  lock_level      integer not null default 0,
  locked_until    timestamptz,
  last_failure_at timestamptz not null default now()
);
comment on table auth.sign_in_failures is 'Lockout state with growing back-off; keyed by an HMAC of the email.';

alter table auth.rate_limits enable row level security;
alter table auth.sign_in_failures enable row level security;
revoke all on auth.rate_limits, auth.sign_in_failures from anon, authenticated, app_admin;

------------------------------------------------------------------------------ clinic settings
create table public.clinic_settings (
  id                        boolean primary key default true check (id),
  require_mfa_for_providers boolean not null default false,
  updated_at                timestamptz not null default now(),
  updated_by                uuid references auth.users (id)
);
comment on table public.clinic_settings is 'The clinic''s one row of security settings.';
insert into public.clinic_settings (id) values (true);

alter table public.clinic_settings enable row level security;
grant select on public.clinic_settings to authenticated, app_admin;
grant update (require_mfa_for_providers, updated_at, updated_by) on public.clinic_settings to app_admin;
create policy "Signed-in users read the clinic settings" on public.clinic_settings
  for select to authenticated using (true);
create policy "Admins read the clinic settings" on public.clinic_settings
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins change the clinic settings" on public.clinic_settings
  for update to app_admin
  using ((select app.i_am_admin()))
  with check ((select app.i_am_admin()) and updated_by = (select auth.uid()));

------------------------------------------------------------------------------ accounts created by admins
-- Admins create accounts (other admins, providers) as themselves under RLS; the password
-- hash can be written but never read back.
grant insert (email, password_hash, role, full_name) on auth.users to app_admin;
create policy "Admins create accounts" on auth.users
  for insert to app_admin with check ((select app.i_am_admin()));

grant insert (user_id, license_number, specialty, is_verified, verified_at, verified_by) on public.providers to app_admin;
create policy "Admins register providers" on public.providers
  for insert to app_admin
  with check ((select app.i_am_admin()) and (verified_by is null or verified_by = (select auth.uid())));

-- Session listing for "active sessions" goes through the service path (auth.sessions stays service-only).
create index sessions_user_all_idx on auth.sessions (user_id, created_at desc);

-- A session whose account must enrol in MFA first (clinic setting) is limited to /api/v1/auth/*.
alter table auth.sessions add column mfa_pending boolean not null default false;
