-- Mail through a transactional outbox, and password recovery (issue #14; docs/mail.md).
--
-- A mail is a row in app.mail_outbox, inserted in the same transaction as the event that
-- causes it (enqueueMail, src/core/mail/enqueue-mail.ts): a rolled-back event sends
-- nothing, a committed one is delivered by the worker (src/core/mail/deliver-due-mail.ts),
-- which leases rows with FOR UPDATE SKIP LOCKED and sends each with its id as Message-ID.
-- The body is sealed (AES-256-GCM under a key derived from the root secret): it may carry
-- a password-reset link, which no database reader, admin or backup should see.

------------------------------------------------------------------------------ app.mail_outbox
create table app.mail_outbox (
  id              uuid primary key default gen_random_uuid(),
  kind            text not null check (kind in ('password_reset', 'password_changed', 'mfa_enabled', 'mfa_reset', 'sign_up_duplicate')),
  to_address      text not null check (length(to_address) between 3 and 254),
  subject         text not null check (length(subject) <= 200),
  body_sealed     text not null,
  -- pending: waiting for (another) attempt; held: no SMTP_URL, kept for the admins' Outbox
  -- page; sent: accepted by the SMTP server; failed: refused for good or out of attempts.
  status          text not null default 'pending' check (status in ('pending', 'held', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- a worker's claim: another worker skips the row until lease_until has passed
  lease_id        uuid,
  lease_until     timestamptz,
  last_error      text check (length(last_error) <= 500),
  created_at      timestamptz not null default now(),
  sent_at         timestamptz
);
comment on table app.mail_outbox is 'Mail waiting to be sent, sent, held (no SMTP server configured) or failed. Written in the transaction of the event that causes it; bodies are sealed.';
create index mail_outbox_due_idx on app.mail_outbox (next_attempt_at) where status = 'pending';
create index mail_outbox_created_idx on app.mail_outbox (created_at desc);

alter table app.mail_outbox enable row level security;
alter table app.mail_outbox force row level security;
revoke all on app.mail_outbox from anon, authenticated, app_admin;
grant select, insert, update, delete on app.mail_outbox to service_role;
create policy "Service path has full access" on app.mail_outbox
  for all to service_role using (true) with check (true);
-- Admins see what was mailed to whom and how delivery went, never the (sealed) body.
grant select (id, kind, to_address, subject, status, attempts, next_attempt_at, last_error, created_at, sent_at)
  on app.mail_outbox to app_admin;
create policy "Admins read the outbox" on app.mail_outbox
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ auth.password_reset_tokens
create table auth.password_reset_tokens (
  token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'), -- SHA-256 of the token; the token itself is only in the mail
  user_id    uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz
);
comment on table auth.password_reset_tokens is 'Single-use password-reset tokens (SHA-256 only), 30 minutes each. Service path only.';
create index password_reset_tokens_user_idx on auth.password_reset_tokens (user_id);

alter table auth.password_reset_tokens enable row level security;
alter table auth.password_reset_tokens force row level security;
revoke all on auth.password_reset_tokens from anon, authenticated, app_admin;
grant select, insert, update, delete on auth.password_reset_tokens to service_role;
create policy "Service path has full access" on auth.password_reset_tokens
  for all to service_role using (true) with check (true);
