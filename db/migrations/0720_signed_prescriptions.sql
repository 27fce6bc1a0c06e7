-- Signed prescription PDFs and their public verification (issue #21; docs/signing.md).
--
-- 1. app.signing_keys: the clinic's generated signing key and certificate, the private key
--    sealed (AES-256-GCM under a key derived from the root secret) by the application. In
--    the database, not in DATA_DIR, so that every instance on one PostgreSQL signs with the
--    same key; generated once with a race-safe insert (on conflict do nothing). Service
--    path only: no application role reads it, not even sealed.
-- 2. prescriptions.verification_code: a short, random, stored code per prescription (12
--    Crockford base-32 characters, 60 random bits; not the id), printed on the PDF with
--    PUBLIC_URL/verify/<code>. Filled for every existing row by the column default.
-- 3. app.verify_prescription(code): what an anonymous pharmacist may learn from a code, and
--    nothing more: exists, status now (with its date), issue date, the document's short id,
--    the prescriber (name, credential, licence number), the patient's initials and birth
--    year. Every lookup, found or not, is recorded in the audit trail by the function
--    itself, so no caller can skip it.

------------------------------------------------------------------------------ app.signing_keys
create table app.signing_keys (
  purpose          text primary key check (purpose ~ '^[a-z0-9_]{1,40}$'),
  certificate_pem  text not null check (certificate_pem like '-----BEGIN CERTIFICATE-----%'),
  private_key_sealed text not null,
  created_at       timestamptz not null default now()
);
comment on table app.signing_keys is
  'Generated document-signing keys (purpose ''prescriptions''): self-signed certificate and the sealed private key. Service path only.';

alter table app.signing_keys enable row level security;
alter table app.signing_keys force row level security;
revoke all on app.signing_keys from anon, authenticated, app_admin;
grant select, insert, delete on app.signing_keys to service_role;
create policy "Service path has full access" on app.signing_keys
  for all to service_role using (true) with check (true);

------------------------------------------------------------------------------ verification codes
-- 12 characters of Crockford's base 32 (no I, L, O, U), 5 random bits each, from
-- gen_random_uuid() (pg_strong_random). A byte mod 32 is uniform.
create function app.new_verification_code() returns text
  language plpgsql volatile
  set search_path = ''
as $$
declare
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  bytes bytea := decode(left(replace(pg_catalog.gen_random_uuid()::text, '-', ''), 12)
                     || left(replace(pg_catalog.gen_random_uuid()::text, '-', ''), 12), 'hex');
  code text := '';
begin
  for i in 0..11 loop
    code := code || substr(alphabet, (get_byte(bytes, i) % 32) + 1, 1);
  end loop;
  return code;
end $$;
-- The column default runs as whoever inserts the prescription.
grant execute on function app.new_verification_code() to authenticated, app_admin, service_role;

alter table public.prescriptions
  add column verification_code text not null default app.new_verification_code()
    constraint prescriptions_verification_code_shape check (verification_code ~ '^[0-9A-HJKMNP-TV-Z]{12}$');
alter table public.prescriptions
  add constraint prescriptions_verification_code_key unique (verification_code);
comment on column public.prescriptions.verification_code is
  'Random public code printed on the PDF (PUBLIC_URL/verify/<code>); app.verify_prescription() answers for it. Not the id.';

------------------------------------------------------------------------------ app.verify_prescription
-- Be extremely careful here: this is the one read of a prescription that needs no account.
-- It returns one row whatever the code (found = false and nulls for unknown and malformed
-- codes alike), and records the lookup.
create function app.verify_prescription(p_code text)
  returns table (found boolean, status text, status_date date, issued_on date, short_id text,
                 prescriber_name text, prescriber_credential text, prescriber_license text,
                 patient_initials text, patient_birth_year integer)
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  rx record;
begin
  select p.id, p.patient_id, p.status, p.status_changed_at, p.end_date, p.created_at,
         u.full_name, pr.credential, pr.license_number, pa.first_name, pa.last_name, pa.date_of_birth
    into rx
    from public.prescriptions p
    join public.patients pa on pa.id = p.patient_id
    left join auth.users u on u.id = p.prescriber_id
    left join public.providers pr on pr.user_id = p.prescriber_id
   where p_code ~ '^[0-9A-HJKMNP-TV-Z]{12}$' and p.verification_code = p_code;
  if not found then
    perform app.record_event_unchecked('prescription.verification_lookup', null, null, null,
                                       jsonb_build_object('found', false));
    return query select false, null::text, null::date, null::date, null::text, null::text, null::text, null::text,
                        null::text, null::integer;
    return;
  end if;
  perform app.record_event_unchecked('prescription.verification_lookup', null, null, rx.patient_id,
                                     jsonb_build_object('found', true, 'prescription_id', rx.id));
  return query select
    true,
    rx.status::text,
    case when rx.status = 'active' then null::date
         else coalesce(rx.status_changed_at::date, rx.end_date) end,
    rx.created_at::date,
    left(rx.id::text, 8),
    rx.full_name::text,
    rx.credential::text,
    rx.license_number::text,
    upper(left(rx.first_name, 1)) || '.' || upper(left(rx.last_name, 1)) || '.',
    extract(year from rx.date_of_birth)::integer;
end $$;
revoke execute on function app.verify_prescription(text) from public;
grant execute on function app.verify_prescription(text) to anon;
alter function app.verify_prescription(text) owner to service_role;
