-- The clinical data model. Every table here holds PHI or decides access to it; RLS is
-- enabled on each in 0005, and every column a policy filters by is indexed.

create table public.providers (
  user_id        uuid primary key references auth.users (id) on delete restrict,
  license_number text not null check (length(btrim(license_number)) between 2 and 64),
  specialty      text not null check (length(btrim(specialty)) between 1 and 120),
  is_verified    boolean not null default false,
  verified_at    timestamptz,
  verified_by    uuid references auth.users (id),
  created_at     timestamptz not null default now(),
  constraint providers_verified_consistent check (is_verified = (verified_at is not null))
);
comment on table public.providers is 'Clinicians. A provider sees PHI only once verified by an admin and only for patients whose care team they are on.';

create table public.patients (
  id                uuid primary key default gen_random_uuid(),
  user_id           uuid unique references auth.users (id) on delete restrict,
  created_by        uuid not null references auth.users (id),
  first_name        text not null check (length(btrim(first_name)) between 1 and 100),
  last_name         text not null check (length(btrim(last_name)) between 1 and 100),
  date_of_birth     date not null check (date_of_birth >= date '1880-01-01'),
  gender            text not null check (gender in ('female', 'male', 'other', 'unknown')),
  blood_type        text check (blood_type in ('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-')),
  allergies         text[] not null default '{}' check (cardinality(allergies) <= 100),
  emergency_contact jsonb check (emergency_contact is null or jsonb_typeof(emergency_contact) = 'object'),
  address           text check (length(address) <= 500),
  insurance         jsonb check (insurance is null or jsonb_typeof(insurance) = 'object'),
  mrn               text not null check (mrn ~ '^[A-Za-z0-9-]{3,32}$'),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint patients_mrn_unique unique (mrn)
);
comment on table public.patients is 'Patient demographics (PHI). user_id links the patient''s own portal account; only invite redemption sets it.';
create index patients_created_by_idx on public.patients (created_by);
create index patients_name_idx on public.patients (lower(last_name), lower(first_name));
create trigger patients_touch before update on public.patients
  for each row execute function app.touch_updated_at();

create table public.care_team (
  id          uuid primary key default gen_random_uuid(),
  patient_id  uuid not null references public.patients (id) on delete cascade,
  provider_id uuid not null references public.providers (user_id) on delete cascade,
  role        text not null check (role in ('attending', 'nurse', 'specialist', 'admin')),
  added_by    uuid references auth.users (id),
  created_at  timestamptz not null default now(),
  constraint care_team_member_once unique (patient_id, provider_id)
);
comment on table public.care_team is 'Who treats whom. The single source of provider access to PHI.';
create index care_team_provider_idx on public.care_team (provider_id, patient_id) include (role);

create table public.visits (
  id              uuid primary key default gen_random_uuid(),
  patient_id      uuid not null references public.patients (id) on delete cascade,
  provider_id     uuid not null references public.providers (user_id),
  visit_date      timestamptz not null,
  chief_complaint text not null check (length(btrim(chief_complaint)) between 1 and 500),
  diagnosis       text check (length(diagnosis) <= 500),
  notes           text check (length(notes) <= 20000),
  vitals          jsonb check (vitals is null or jsonb_typeof(vitals) = 'object'),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint visits_id_patient_unique unique (id, patient_id)
);
comment on table public.visits is 'Encounters charted by a care-team member.';
create index visits_patient_date_idx on public.visits (patient_id, visit_date desc);
create index visits_provider_idx on public.visits (provider_id);
create trigger visits_touch before update on public.visits
  for each row execute function app.touch_updated_at();

create table public.prescriptions (
  id            uuid primary key default gen_random_uuid(),
  visit_id      uuid,
  patient_id    uuid not null references public.patients (id) on delete cascade,
  prescriber_id uuid not null references public.providers (user_id),
  medication    text not null check (length(btrim(medication)) between 1 and 200),
  dosage        text not null check (length(btrim(dosage)) between 1 and 100),
  frequency     text not null check (length(btrim(frequency)) between 1 and 100),
  start_date    date not null,
  end_date      date,
  is_active     boolean not null default true,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint prescriptions_dates check (end_date is null or end_date >= start_date),
  -- a prescription's visit must be a visit of the same patient
  constraint prescriptions_visit_same_patient foreign key (visit_id, patient_id)
    references public.visits (id, patient_id)
);
comment on table public.prescriptions is 'Medication orders; only attending and specialist care-team members write them.';
create index prescriptions_patient_idx on public.prescriptions (patient_id) include (is_active);
create index prescriptions_prescriber_idx on public.prescriptions (prescriber_id);
create index prescriptions_visit_idx on public.prescriptions (visit_id) where visit_id is not null;
create trigger prescriptions_touch before update on public.prescriptions
  for each row execute function app.touch_updated_at();

create table public.documents (
  id            uuid primary key default gen_random_uuid(),
  patient_id    uuid not null references public.patients (id) on delete cascade,
  uploaded_by   uuid not null references auth.users (id),
  object_key    text not null unique,
  document_type text not null check (document_type in ('lab_result', 'imaging', 'referral', 'consent', 'insurance', 'other')),
  description   text check (length(description) <= 1000),
  original_name text check (length(original_name) <= 255),
  content_type  text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes    bigint not null check (size_bytes > 0),
  sha256        text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  reviewed_at   timestamptz,
  reviewed_by   uuid references auth.users (id),
  uploaded_at   timestamptz not null default now(),
  deleted_at    timestamptz,
  deleted_by    uuid references auth.users (id),
  delete_reason text,
  constraint documents_key_under_patient check (object_key like patient_id::text || '/%'),
  constraint documents_review_consistent check ((reviewed_at is null) = (reviewed_by is null)),
  constraint documents_delete_consistent check ((deleted_at is null) = (deleted_by is null) and (deleted_at is null or length(btrim(delete_reason)) > 0))
);
comment on table public.documents is 'Metadata of medical documents; the bytes live in the object store under <patient_id>/<uuid>.';
create index documents_patient_idx on public.documents (patient_id, uploaded_at desc);
create index documents_pending_idx on public.documents (patient_id) where reviewed_at is null and deleted_at is null;

create table public.appointments (
  id           uuid primary key default gen_random_uuid(),
  patient_id   uuid not null references public.patients (id) on delete cascade,
  provider_id  uuid not null references public.providers (user_id),
  starts_at    timestamptz not null,
  ends_at      timestamptz not null,
  status       text not null default 'requested' check (status in ('requested', 'confirmed', 'declined', 'cancelled', 'completed')),
  reason       text check (length(reason) <= 1000),
  requested_by uuid references auth.users (id),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint appointments_time_order check (ends_at > starts_at and ends_at - starts_at <= interval '12 hours'),
  -- one provider, one confirmed appointment at a time: enforced by the database
  constraint appointments_no_double_booking exclude using gist (
    provider_id with =, tstzrange(starts_at, ends_at) with &&
  ) where (status = 'confirmed')
);
comment on table public.appointments is 'Requested and scheduled appointments between a patient and a care-team provider.';
create index appointments_patient_idx on public.appointments (patient_id, starts_at);
create index appointments_provider_idx on public.appointments (provider_id, starts_at);
create trigger appointments_touch before update on public.appointments
  for each row execute function app.touch_updated_at();

create table public.care_messages (
  id         uuid primary key default gen_random_uuid(),
  patient_id uuid not null references public.patients (id) on delete cascade,
  sender_id  uuid not null references auth.users (id),
  message    text not null check (length(btrim(message)) between 1 and 5000),
  priority   text not null default 'normal' check (priority in ('normal', 'urgent')),
  created_at timestamptz not null default now()
);
comment on table public.care_messages is 'The care team''s channel about one patient. Staff only.';
create index care_messages_patient_idx on public.care_messages (patient_id, created_at);

create table public.devices (
  id           uuid primary key default gen_random_uuid(),
  patient_id   uuid not null references public.patients (id) on delete cascade,
  name         text not null check (length(btrim(name)) between 1 and 100),
  token_hash   text not null unique,
  created_at   timestamptz not null default now(),
  last_seen_at timestamptz,
  revoked_at   timestamptz
);
comment on table public.devices is 'A patient''s wearables. Only a hash of the device token is stored.';
create index devices_patient_idx on public.devices (patient_id);

create table public.vitals (
  id          bigint generated always as identity primary key,
  patient_id  uuid not null references public.patients (id) on delete cascade,
  device_id   uuid references public.devices (id),
  recorded_by uuid references auth.users (id),
  metric      text not null check (metric in ('heart_rate', 'steps', 'spo2', 'bp_systolic', 'bp_diastolic', 'weight', 'temperature')),
  value       double precision not null check (value = value and value >= 0),
  unit        text not null check (length(unit) between 1 and 16),
  recorded_at timestamptz not null,
  created_at  timestamptz not null default now(),
  constraint vitals_one_sample unique (device_id, metric, recorded_at),
  constraint vitals_has_source check (device_id is not null or recorded_by is not null)
);
comment on table public.vitals is 'Wearable and manually recorded vital signs.';
create index vitals_patient_metric_idx on public.vitals (patient_id, metric, recorded_at desc);

create table public.invites (
  id         uuid primary key default gen_random_uuid(),
  patient_id uuid not null references public.patients (id) on delete cascade,
  code_hash  text not null unique,
  created_by uuid not null references auth.users (id),
  expires_at timestamptz not null,
  used_at    timestamptz,
  used_by    uuid references auth.users (id),
  created_at timestamptz not null default now(),
  constraint invites_expiry_after_creation check (expires_at > created_at),
  constraint invites_use_consistent check ((used_at is null) = (used_by is null))
);
comment on table public.invites is 'Single-use patient portal invitations; only a hash of the code is stored.';
create index invites_patient_idx on public.invites (patient_id);

create table public.audit_log (
  id          bigint generated always as identity primary key,
  occurred_at timestamptz not null default clock_timestamp(),
  actor_id    uuid,
  actor_role  text,
  action      text not null,
  table_name  text,
  record_id   text,
  patient_id  uuid,
  old_row     jsonb,
  new_row     jsonb,
  details     jsonb,
  request_id  text,
  ip          text,
  user_agent  text
);
comment on table public.audit_log is 'Append-only audit trail of PHI reads and writes and account events.';
create index audit_log_patient_idx on public.audit_log (patient_id, occurred_at desc);
create index audit_log_actor_idx on public.audit_log (actor_id, occurred_at desc);

-- Object storage metadata (Supabase's storage schema, reduced to what Carebase uses).
create table storage.buckets (
  id         text primary key,
  name       text not null unique,
  public     boolean not null default false check (not public),
  created_at timestamptz not null default now()
);
comment on table storage.buckets is 'Buckets are always private; downloads go through signed URLs.';
insert into storage.buckets (id, name) values ('medical-documents', 'medical-documents');

-- The first path segment of an object's name is the patient id; malformed names map to null.
create function storage.object_patient_id(name text) returns uuid
  language sql immutable strict
  set search_path = ''
as $$
  select case when split_part(name, '/', 1) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then split_part(name, '/', 1)::uuid end
$$;
grant execute on function storage.object_patient_id(text) to authenticated, app_admin;

create table storage.objects (
  id         uuid primary key default gen_random_uuid(),
  bucket_id  text not null references storage.buckets (id),
  name       text not null,
  owner      uuid references auth.users (id),
  metadata   jsonb not null default '{}'::jsonb,
  patient_id uuid generated always as (storage.object_patient_id(name)) stored,
  created_at timestamptz not null default now(),
  constraint objects_name_unique unique (bucket_id, name),
  constraint objects_name_under_patient check (storage.object_patient_id(name) is not null and name !~ '(^|/)\.\.?(/|$)')
);
comment on table storage.objects is 'One row per stored object; name = <patient_id>/<uuid>.';
create index objects_patient_idx on storage.objects (patient_id);
