-- Accounts and the Supabase-style claim helpers that every policy reads.

create table auth.users (
  id            uuid primary key default gen_random_uuid(),
  email         text not null,
  password_hash text not null,
  role          text not null check (role in ('patient', 'provider', 'admin')),
  full_name     text not null check (length(btrim(full_name)) between 1 and 200),
  is_active     boolean not null default true,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint users_email_normalised check (email = lower(btrim(email)) and email like '_%@_%' and length(email) <= 254),
  constraint users_email_unique unique (email)
);
comment on table auth.users is 'Portal accounts. The password hash is never readable by application roles.';

-- Claims of the current request, set by withUser with set_config(..., true).
create function auth.jwt() returns jsonb
  language sql stable
  set search_path = ''
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;

create function auth.uid() returns uuid
  language sql stable
  set search_path = ''
as $$
  select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;

create function auth.role() returns text
  language sql stable
  set search_path = ''
as $$
  select coalesce(auth.jwt() ->> 'role', 'anon')
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, app_admin;

create function app.touch_updated_at() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end $$;

create trigger users_touch before update on auth.users
  for each row execute function app.touch_updated_at();
