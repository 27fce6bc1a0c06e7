-- Patient-controlled sharing links (issue #18; docs/sharing.md).
--
-- A patient shares chosen parts of their record (visits, prescriptions, documents, vitals)
-- with someone outside the clinic, until an expiry of at most 30 days, revocable at once.
-- The recipient holds a random token (in the link's fragment, never sent in a URL) and a
-- separate 6-digit code. The database keeps only the token's SHA-256 and the code's keyed
-- hash (HMAC under a key derived from the root secret, bound to the token: a reader of the
-- table cannot try the million codes).
--
-- The only way in is app.open_share(token_hash, code_hash), a definer function that checks
-- the token, the code, the expiry, revocation and the lock, and returns ONLY the chosen
-- parts of that one patient. A wrong code is counted on the share; the fifth locks it. Each
-- view is a read record in the audit trail (actor_role 'share_link', the share in details),
-- which the patient sees in "Who accessed my record".

create table public.patient_shares (
  id              uuid primary key default gen_random_uuid(),
  patient_id      uuid not null references public.patients (id) on delete cascade,
  created_by      uuid not null references auth.users (id),
  recipient_label text not null check (length(btrim(recipient_label)) between 1 and 120),
  parts           text[] not null check (cardinality(parts) between 1 and 4
                                         and parts <@ array['visits', 'prescriptions', 'documents', 'vitals']),
  token_hash      text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  code_hash       text not null check (code_hash ~ '^[0-9a-f]{64}$'),
  created_at      timestamptz not null default now(),
  expires_at      timestamptz not null,
  revoked_at      timestamptz,
  failed_attempts integer not null default 0,
  locked_at       timestamptz,
  view_count      integer not null default 0,
  last_viewed_at  timestamptz,
  constraint patient_shares_expiry check (expires_at > created_at and expires_at <= created_at + interval '30 days')
);
comment on table public.patient_shares is
  'Sharing links a patient gives an outside clinician: chosen parts, an expiry <= 30 days, a token (SHA-256 only) and a 6-digit code (keyed hash only). Opened only through app.open_share.';
create index patient_shares_patient_idx on public.patient_shares (patient_id, created_at desc);

alter table public.patient_shares enable row level security;
alter table public.patient_shares force row level security;
revoke all on public.patient_shares from anon, authenticated, app_admin;
grant select, insert, update, delete on public.patient_shares to service_role;
create policy "Service path has full access" on public.patient_shares
  for all to service_role using (true) with check (true);

-- The patient manages the shares of their own record (never the hashes).
grant select (id, patient_id, created_by, recipient_label, parts, created_at, expires_at, revoked_at,
              failed_attempts, locked_at, view_count, last_viewed_at)
  on public.patient_shares to authenticated, app_admin;
grant insert (id, patient_id, created_by, recipient_label, parts, token_hash, code_hash, expires_at)
  on public.patient_shares to authenticated;
grant update (revoked_at) on public.patient_shares to authenticated;
create policy "Patients see the shares of their record" on public.patient_shares
  for select to authenticated using (patient_id = any ((select app.my_patient_ids())::uuid[]));
create policy "Patients share their own record as themselves" on public.patient_shares
  for insert to authenticated
  with check (patient_id = any ((select app.my_patient_ids())::uuid[]) and created_by = (select auth.uid()));
-- Revoking is one way: an open share becomes revoked, never the reverse.
create policy "Patients revoke their shares" on public.patient_shares
  for update to authenticated
  using (patient_id = any ((select app.my_patient_ids())::uuid[]) and revoked_at is null)
  with check (patient_id = any ((select app.my_patient_ids())::uuid[]) and revoked_at is not null);
create policy "Admins read every share" on public.patient_shares
  for select to app_admin using ((select app.i_am_admin()));

select app.audit_table('public.patient_shares');

-- The recipient's one door. Returns {status: 'not_found' | 'gone' | 'locked' | 'wrong_code' |
-- 'ok', ...}; never raises for a wrong code (its count must commit). 'ok' carries the share's
-- label, expiry and parts, the patient's name and date of birth, and the chosen parts only.
create function app.open_share(p_token_hash text, p_code_hash text, p_max_attempts integer default 5)
  returns jsonb
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  s       public.patient_shares%rowtype;
  result  jsonb;
  max_try integer := least(greatest(coalesce(p_max_attempts, 5), 1), 10);
begin
  select * into s from public.patient_shares where token_hash = p_token_hash for update;
  if not found then
    return jsonb_build_object('status', 'not_found');
  end if;
  if s.revoked_at is not null or s.expires_at <= now() then
    return jsonb_build_object('status', 'gone');
  end if;
  if s.locked_at is not null then
    return jsonb_build_object('status', 'locked');
  end if;
  if p_code_hash is null or s.code_hash <> p_code_hash then
    update public.patient_shares
       set failed_attempts = failed_attempts + 1,
           locked_at = case when failed_attempts + 1 >= max_try then now() end
     where id = s.id;
    return jsonb_build_object('status', case when s.failed_attempts + 1 >= max_try then 'locked' else 'wrong_code' end,
                              'attempts_left', greatest(max_try - s.failed_attempts - 1, 0));
  end if;
  update public.patient_shares set view_count = view_count + 1, last_viewed_at = now() where id = s.id;

  select jsonb_build_object(
    'status', 'ok',
    'share', jsonb_build_object('id', s.id, 'recipient_label', s.recipient_label, 'expires_at', s.expires_at, 'parts', to_jsonb(s.parts)),
    'patient', jsonb_build_object('first_name', pt.first_name, 'last_name', pt.last_name, 'date_of_birth', pt.date_of_birth))
    into result
    from public.patients pt where pt.id = s.patient_id;

  if 'visits' = any (s.parts) then
    result := result || jsonb_build_object('visits', coalesce((
      select jsonb_agg(jsonb_build_object('id', v.id, 'visit_date', v.visit_date, 'chief_complaint', v.chief_complaint,
                                          'diagnosis', v.diagnosis, 'notes', v.notes) order by v.visit_date desc)
        from (select * from public.visits where patient_id = s.patient_id order by visit_date desc limit 200) v), '[]'::jsonb));
  end if;
  if 'prescriptions' = any (s.parts) then
    result := result || jsonb_build_object('prescriptions', coalesce((
      select jsonb_agg(jsonb_build_object('id', r.id, 'medication', r.medication, 'dosage', r.dosage, 'frequency', r.frequency,
                                          'start_date', r.start_date, 'end_date', r.end_date, 'status', r.status) order by r.start_date desc)
        from (select * from public.prescriptions where patient_id = s.patient_id order by start_date desc limit 200) r), '[]'::jsonb));
  end if;
  if 'documents' = any (s.parts) then
    result := result || jsonb_build_object('documents', coalesce((
      select jsonb_agg(jsonb_build_object('id', d.id, 'document_type', d.document_type, 'description', d.description,
                                          'uploaded_at', d.uploaded_at) order by d.uploaded_at desc)
        from (select * from public.documents where patient_id = s.patient_id and deleted_at is null order by uploaded_at desc limit 200) d), '[]'::jsonb));
  end if;
  if 'vitals' = any (s.parts) then
    result := result || jsonb_build_object('vitals', coalesce((
      select jsonb_agg(jsonb_build_object('metric', x.metric, 'value', x.value, 'unit', x.unit, 'recorded_at', x.recorded_at) order by x.recorded_at desc)
        from (select * from public.vitals where patient_id = s.patient_id order by recorded_at desc limit 500) x), '[]'::jsonb));
  end if;

  -- the view, on the trail (chained like every record): the patient's access log lists it
  insert into public.audit_log (actor_id, actor_role, action, table_name, record_id, patient_id, details, request_id, ip, user_agent)
  values (null, 'share_link', 'read', 'patient_shares', s.id::text, s.patient_id,
          jsonb_build_object('share_id', s.id, 'recipient_label', s.recipient_label, 'parts', to_jsonb(s.parts)),
          nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
          nullif(left(current_setting('request.user_agent', true), 512), ''));
  return result;
end $$;
grant execute on function app.open_share(text, text, integer) to anon;
alter function app.open_share(text, text, integer) owner to service_role;
