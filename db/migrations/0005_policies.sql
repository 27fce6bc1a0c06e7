-- Row-level security on every table. One policy per verb and role, named in plain
-- English. Provider and patient policies are TO authenticated and carry no OR branch;
-- admins have their own role (app_admin) and their own policies. Column privileges keep
-- secrets (password and token hashes) and link columns (patients.user_id) out of reach.

------------------------------------------------------------------------------ auth.users
alter table auth.users enable row level security;
grant select (id, email, role, full_name, is_active, created_at) on auth.users to authenticated, app_admin;
grant update (full_name, is_active) on auth.users to app_admin;

create policy "Users see themselves, their care teams and colleagues" on auth.users
  for select to authenticated using (id = any ((select app.my_visible_user_ids())::uuid[]));
create policy "Admins read all accounts" on auth.users
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins update accounts" on auth.users
  for update to app_admin using ((select app.i_am_admin())) with check ((select app.i_am_admin()));

------------------------------------------------------------------------------ providers
alter table public.providers enable row level security;
grant select on public.providers to authenticated, app_admin;
grant update (is_verified, verified_at, verified_by) on public.providers to app_admin;

create policy "Users see the providers they may see" on public.providers
  for select to authenticated using (user_id = any ((select app.my_visible_user_ids())::uuid[]));
create policy "Admins read all providers" on public.providers
  for select to app_admin using ((select app.i_am_admin()));
-- A verification is recorded as the admin who made it (or cleared): nobody signs for another.
create policy "Admins verify providers" on public.providers
  for update to app_admin
  using ((select app.i_am_admin()))
  with check ((select app.i_am_admin()) and (verified_by is null or verified_by = (select auth.uid())));

------------------------------------------------------------------------------ patients
alter table public.patients enable row level security;
grant select on public.patients to authenticated, app_admin;
grant insert (id, created_by, first_name, last_name, date_of_birth, gender, blood_type, allergies,
              emergency_contact, address, insurance, mrn) on public.patients to authenticated, app_admin;
grant update (first_name, last_name, date_of_birth, gender, blood_type, allergies,
              emergency_contact, address, insurance, mrn) on public.patients to authenticated, app_admin;

create policy "Care team and the patient read the record" on public.patients
  for select to authenticated using (id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Verified providers register patients" on public.patients
  for insert to authenticated
  with check (created_by = (select auth.uid()) and (select app.i_am_verified_provider()));
create policy "Care team updates demographics" on public.patients
  for update to authenticated
  using (id = any ((select app.my_chartable_patient_ids())::uuid[]))
  with check (id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Admins read all patients" on public.patients
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins register patients" on public.patients
  for insert to app_admin with check (created_by = (select auth.uid()) and (select app.i_am_admin()));
create policy "Admins update demographics" on public.patients
  for update to app_admin using ((select app.i_am_admin())) with check ((select app.i_am_admin()));

------------------------------------------------------------------------------ care_team
alter table public.care_team enable row level security;
grant select on public.care_team to authenticated, app_admin;
grant insert (patient_id, provider_id, role, added_by), update (role), delete on public.care_team to app_admin;

create policy "Care team and the patient see the team" on public.care_team
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Admins read all care teams" on public.care_team
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins add care-team members" on public.care_team
  for insert to app_admin with check ((select app.i_am_admin()) and added_by = (select auth.uid()));
create policy "Admins change care-team roles" on public.care_team
  for update to app_admin using ((select app.i_am_admin())) with check ((select app.i_am_admin()));
create policy "Admins remove care-team members" on public.care_team
  for delete to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ visits
alter table public.visits enable row level security;
grant select on public.visits to authenticated, app_admin;
grant insert (id, patient_id, provider_id, visit_date, chief_complaint, diagnosis, notes, vitals) on public.visits to authenticated;
grant update (visit_date, chief_complaint, diagnosis, notes, vitals) on public.visits to authenticated;

create policy "Care team and the patient read visits" on public.visits
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Care team records visits as themselves" on public.visits
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and provider_id = (select auth.uid()));
create policy "Authors amend their visits while on the team" on public.visits
  for update to authenticated
  using (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and provider_id = (select auth.uid()))
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and provider_id = (select auth.uid()));
create policy "Admins read all visits" on public.visits
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ prescriptions
alter table public.prescriptions enable row level security;
grant select on public.prescriptions to authenticated, app_admin;
grant insert (id, visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date, end_date, is_active)
  on public.prescriptions to authenticated;
grant update (is_active, end_date) on public.prescriptions to authenticated;

create policy "Care team and the patient read prescriptions" on public.prescriptions
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Attending and specialists prescribe as themselves" on public.prescriptions
  for insert to authenticated
  with check (patient_id = any ((select app.my_prescribable_patient_ids())::uuid[]) and prescriber_id = (select auth.uid()));
create policy "Attending and specialists stop prescriptions" on public.prescriptions
  for update to authenticated
  using (patient_id = any ((select app.my_prescribable_patient_ids())::uuid[]))
  with check (patient_id = any ((select app.my_prescribable_patient_ids())::uuid[]));
create policy "Admins read all prescriptions" on public.prescriptions
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ documents
alter table public.documents enable row level security;
grant select on public.documents to authenticated, app_admin;
grant insert (id, patient_id, uploaded_by, object_key, document_type, description, original_name, content_type, size_bytes, sha256)
  on public.documents to authenticated;
grant update (document_type, description, reviewed_at, reviewed_by, deleted_at, deleted_by, delete_reason)
  on public.documents to authenticated;

create policy "Care team and the patient read live documents" on public.documents
  for select to authenticated
  using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]) and deleted_at is null);
create policy "Care team uploads documents as themselves" on public.documents
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and uploaded_by = (select auth.uid()));
create policy "Care team reviews documents" on public.documents
  for update to authenticated
  using (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]))
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Admins read all documents" on public.documents
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ appointments
alter table public.appointments enable row level security;
grant select on public.appointments to authenticated, app_admin;
grant insert (id, patient_id, provider_id, starts_at, ends_at, status, reason, requested_by) on public.appointments to authenticated;
grant update (status, starts_at, ends_at, reason) on public.appointments to authenticated;

create policy "Care team and the patient read appointments" on public.appointments
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Patients and care team request appointments with a team provider" on public.appointments
  for insert to authenticated
  with check (patient_id = any ((select app.my_readable_patient_ids())::uuid[])
              and requested_by = (select auth.uid())
              and status = 'requested'
              and app.on_readable_care_team(patient_id, provider_id));
create policy "Care team manages appointments" on public.appointments
  for update to authenticated
  using (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]))
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Admins read all appointments" on public.appointments
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ care_messages
alter table public.care_messages enable row level security;
grant select on public.care_messages to authenticated, app_admin;
grant insert (id, patient_id, sender_id, message, priority) on public.care_messages to authenticated;

create policy "Care team reads its channel" on public.care_messages
  for select to authenticated using (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Care team posts as themselves" on public.care_messages
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and sender_id = (select auth.uid()));
create policy "Admins read all care messages" on public.care_messages
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ devices
alter table public.devices enable row level security;
grant select (id, patient_id, name, created_at, last_seen_at, revoked_at) on public.devices to authenticated, app_admin;
grant insert (id, patient_id, name, token_hash) on public.devices to authenticated;
grant update (name, revoked_at) on public.devices to authenticated;

create policy "Care team and the patient see devices" on public.devices
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Patients register their own devices" on public.devices
  for insert to authenticated with check (patient_id = any ((select app.my_patient_ids())::uuid[]));
create policy "Patients rename and revoke their own devices" on public.devices
  for update to authenticated
  using (patient_id = any ((select app.my_patient_ids())::uuid[]))
  with check (patient_id = any ((select app.my_patient_ids())::uuid[]));
create policy "Admins read all devices" on public.devices
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ vitals
alter table public.vitals enable row level security;
grant select on public.vitals to authenticated, app_admin;
grant insert (patient_id, device_id, recorded_by, metric, value, unit, recorded_at) on public.vitals to authenticated;

create policy "Care team and the patient read vitals" on public.vitals
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Care team and the patient record vitals as themselves" on public.vitals
  for insert to authenticated
  with check (patient_id = any ((select app.my_readable_patient_ids())::uuid[]) and recorded_by = (select auth.uid()) and device_id is null);
create policy "Admins read all vitals" on public.vitals
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ invites
alter table public.invites enable row level security;
grant select (id, patient_id, created_by, expires_at, used_at, used_by, created_at) on public.invites to authenticated, app_admin;
grant insert (id, patient_id, code_hash, created_by, expires_at) on public.invites to authenticated, app_admin;

create policy "Care team sees invites" on public.invites
  for select to authenticated using (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Care team invites patients" on public.invites
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and created_by = (select auth.uid()));
create policy "Admins read all invites" on public.invites
  for select to app_admin using ((select app.i_am_admin()));
create policy "Admins invite patients" on public.invites
  for insert to app_admin with check ((select app.i_am_admin()) and created_by = (select auth.uid()));

------------------------------------------------------------------------------ audit_log
-- Written only by the service identity (triggers and the data layer); nobody updates or deletes.
-- Patients see who accessed their chart, not what the logged rows contained (old_row and
-- new_row may hold staff-only messages or other rows they may not read), nor the
-- accessors' network addresses: column grants, so that no policy needs an OR.
alter table public.audit_log enable row level security;
grant select (id, occurred_at, actor_id, actor_role, action, table_name, record_id, patient_id, details, request_id)
  on public.audit_log to authenticated;
grant select on public.audit_log to app_admin;

create policy "Patients read the trail of their own chart" on public.audit_log
  for select to authenticated using (patient_id = any ((select app.my_patient_ids())::uuid[]));
create policy "Admins read the whole trail" on public.audit_log
  for select to app_admin using ((select app.i_am_admin()));

------------------------------------------------------------------------------ storage
alter table storage.buckets enable row level security;
grant select on storage.buckets to authenticated, app_admin;
create policy "Signed-in users see bucket names" on storage.buckets
  for select to authenticated using (true);
create policy "Admins see bucket names" on storage.buckets
  for select to app_admin using (true);

alter table storage.objects enable row level security;
grant select on storage.objects to authenticated, app_admin;
grant insert (id, bucket_id, name, owner, metadata) on storage.objects to authenticated;

create policy "Care team and the patient read the patient's objects" on storage.objects
  for select to authenticated using (patient_id = any ((select app.my_readable_patient_ids())::uuid[]));
create policy "Care team stores objects under the patient's folder" on storage.objects
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[]) and owner = (select auth.uid()));
create policy "Admins read all objects" on storage.objects
  for select to app_admin using ((select app.i_am_admin()));
