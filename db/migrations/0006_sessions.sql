-- Sessions and rotating refresh tokens. Service-only: no application role reads or
-- writes these tables (RLS on, no policies, no grants).

create table auth.sessions (
  id            uuid primary key default gen_random_uuid(),
  user_id       uuid not null references auth.users (id) on delete cascade,
  aal           text not null default 'aal1' check (aal in ('aal1', 'aal2')),
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null,
  revoked_at    timestamptz,
  revoke_reason text,
  ip            text,
  user_agent    text,
  constraint sessions_revocation_consistent check ((revoked_at is null) = (revoke_reason is null))
);
comment on table auth.sessions is 'Sign-in sessions. An access token is honoured only while its session is live.';
create index sessions_user_idx on auth.sessions (user_id) where revoked_at is null;

create table auth.refresh_tokens (
  id         bigint generated always as identity primary key,
  session_id uuid not null references auth.sessions (id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  spent_at   timestamptz
);
comment on table auth.refresh_tokens is 'Opaque refresh tokens, stored as SHA-256. Presenting a spent one revokes its session.';
create index refresh_tokens_session_idx on auth.refresh_tokens (session_id);

alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
revoke all on auth.sessions, auth.refresh_tokens from anon, authenticated, app_admin;
