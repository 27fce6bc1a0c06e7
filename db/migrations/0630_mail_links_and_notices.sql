-- Email verification, staff and patient invitations by mail, notices with an opt-out, and
-- appointment reminders sent once (issue #14; docs/mail.md).
--
-- Mail is still written to app.mail_outbox in the transaction of the event that causes it.
-- Three events happen inside a signed-in user's transaction (withUser), where the outbox is
-- out of reach: an admin inviting staff, a care-team member mailing a patient invite, and a
-- clinical change the patient is told about. For each, one SECURITY DEFINER function below
-- checks the caller against the database's own rules and writes the mail; the caller never
-- chooses the recipient of a notice (the patient's account address is looked up here).

------------------------------------------------------------------------------ app.mail_outbox
-- Every kind of mail (src/core/mail/templates.ts MAIL_KINDS), including 'emergency_access'
-- (the care team told of a break-the-glass access, issue #18). A later migration that adds a
-- kind must list all of these again.
alter table app.mail_outbox drop constraint if exists mail_outbox_kind_check;
alter table app.mail_outbox add constraint mail_outbox_kind_check check (kind in (
  'password_reset', 'password_changed', 'mfa_enabled', 'mfa_reset', 'sign_up_duplicate',
  'verify_email', 'staff_invite', 'patient_invite',
  'appointment_booked', 'appointment_changed', 'appointment_cancelled', 'appointment_reminder',
  'document_added', 'emergency_access'));
-- A mail that must go at most once whoever writes it (an appointment's reminder, written by
-- whichever instance's job gets there first): the second insert does nothing.
alter table app.mail_outbox add column dedupe_key text check (length(dedupe_key) <= 200);
create unique index mail_outbox_dedupe_idx on app.mail_outbox (dedupe_key) where dedupe_key is not null;

------------------------------------------------------------------------------ auth.users
-- email_confirmed_at: the owner followed a link mailed to the address (verification, or a
-- staff invitation). invited_at: an admin invited the account and the invitee has not set a
-- password yet. mail_notices: the owner wants notices that are not about security
-- (appointments, documents); security notices always go. Not clinical data.
alter table auth.users
  add column email_confirmed_at timestamptz,
  add column invited_at timestamptz,
  add column mail_notices boolean not null default true;
grant select (email_confirmed_at, invited_at) on auth.users to app_admin;
grant insert (invited_at) on auth.users to app_admin;

------------------------------------------------------------------------------ auth.email_link_tokens
create table auth.email_link_tokens (
  token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'), -- SHA-256 of the token; the token itself is only in the mail
  user_id    uuid not null references auth.users (id) on delete cascade,
  purpose    text not null check (purpose in ('verify_email', 'staff_invite')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz
);
comment on table auth.email_link_tokens is 'Single-use links mailed to an account''s address (email verification, staff invitations), SHA-256 only. Service path and the definer function below only.';
create index email_link_tokens_user_idx on auth.email_link_tokens (user_id, purpose);

alter table auth.email_link_tokens enable row level security;
alter table auth.email_link_tokens force row level security;
revoke all on auth.email_link_tokens from anon, authenticated, app_admin;
grant select, insert, update, delete on auth.email_link_tokens to service_role;
create policy "Service path has full access" on auth.email_link_tokens
  for all to service_role using (true) with check (true);

------------------------------------------------------------------------------ staff invitations
-- An admin (aal2) invites a staff account it just created, or sends the invitation again:
-- earlier links of the account stop working, a new one is stored (its hash) and mailed to
-- the account's own address, in the admin's transaction.
create function app.issue_staff_invite(p_user uuid, p_token_hash text, p_hours integer, p_subject text, p_body_sealed text, p_status text)
  returns timestamptz
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  v_email text;
  v_expires timestamptz := now() + make_interval(hours => p_hours);
begin
  if not coalesce(app.i_am_admin(), false) then
    raise exception 'only an administrator invites staff' using errcode = '42501';
  end if;
  if p_hours not between 1 and 336 or p_status not in ('pending', 'held') then
    raise exception 'bad invitation parameters' using errcode = '22023';
  end if;
  select u.email into v_email from auth.users u
   where u.id = p_user and u.invited_at is not null and u.is_active and u.role in ('admin', 'provider');
  if v_email is null then
    return null;
  end if;
  update auth.email_link_tokens set used_at = now()
   where user_id = p_user and purpose = 'staff_invite' and used_at is null;
  insert into auth.email_link_tokens (token_hash, user_id, purpose, expires_at)
  values (p_token_hash, p_user, 'staff_invite', v_expires);
  insert into app.mail_outbox (kind, to_address, subject, body_sealed, status)
  values ('staff_invite', v_email, p_subject, p_body_sealed, p_status);
  return v_expires;
end $$;
grant execute on function app.issue_staff_invite(uuid, text, integer, text, text, text) to app_admin;
alter function app.issue_staff_invite(uuid, text, integer, text, text, text) owner to service_role;

------------------------------------------------------------------------------ patient invitations
-- Whoever just created a patient invite (care team or admin, as the invites policies
-- decide) mails it to an address they give, in their transaction. Only an unused invite
-- the caller created, still valid, can be mailed; the invite code is in the sealed body.
create function app.mail_patient_invite(p_invite uuid, p_to text, p_subject text, p_body_sealed text, p_status text)
  returns uuid
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_status not in ('pending', 'held') or p_to is null or p_to !~ '^[^@\s]+@[^@\s]+$' or length(p_to) > 254 then
    raise exception 'bad invitation parameters' using errcode = '22023';
  end if;
  if not exists (select 1 from public.invites i
                  where i.id = p_invite and i.created_by = auth.uid() and i.used_at is null and i.expires_at > now()) then
    raise exception 'no such invitation of yours' using errcode = '42501';
  end if;
  insert into app.mail_outbox (kind, to_address, subject, body_sealed, status)
  values ('patient_invite', lower(btrim(p_to)), p_subject, p_body_sealed, p_status)
  returning id into v_id;
  return v_id;
end $$;
grant execute on function app.mail_patient_invite(uuid, text, text, text, text) to authenticated, app_admin;
alter function app.mail_patient_invite(uuid, text, text, text, text) owner to service_role;

------------------------------------------------------------------------------ notices to patients
-- A change the patient should know about (an appointment booked, changed or cancelled, a new
-- document) tells the patient's account, in the transaction of the change: only a caller
-- who may read the patient's record, never the patient about their own action, nobody
-- who opted out, and only when the record has an active portal account. Returns the mail's
-- id, or null when nobody is told.
create function app.enqueue_patient_notice(p_patient uuid, p_kind text, p_subject text, p_body_sealed text, p_status text)
  returns uuid
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  v_to text;
  v_id uuid;
begin
  if p_kind not in ('appointment_booked', 'appointment_changed', 'appointment_cancelled', 'document_added')
     or p_status not in ('pending', 'held') then
    raise exception 'bad notice parameters' using errcode = '22023';
  end if;
  if not (p_patient = any (app.readable_patient_ids(auth.uid())) or coalesce(app.i_am_admin(), false)) then
    raise exception 'not allowed to notify this patient' using errcode = '42501';
  end if;
  select u.email into v_to
    from public.patients pt join auth.users u on u.id = pt.user_id
   where pt.id = p_patient and u.is_active and u.mail_notices and u.id is distinct from auth.uid();
  if v_to is null then
    return null;
  end if;
  insert into app.mail_outbox (kind, to_address, subject, body_sealed, status)
  values (p_kind, v_to, p_subject, p_body_sealed, p_status)
  returning id into v_id;
  return v_id;
end $$;
grant execute on function app.enqueue_patient_notice(uuid, text, text, text, text) to authenticated, app_admin;
alter function app.enqueue_patient_notice(uuid, text, text, text, text) owner to service_role;
