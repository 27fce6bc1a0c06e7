-- Wearable ingestion under RLS, and per-user read markers for the care-team channel.
--
-- A device never holds a user session. withDevice (src/core/vitals/with-device.ts) runs
-- as `authenticated` with the claims {"app_role":"device","device_token_sha256":...};
-- the functions below derive the device and its patient from that hash (live devices
-- only), and the insert policy lets a device write its own patient's vitals and nothing
-- else. Every read policy compares with auth.uid(), which a device does not have, so a
-- device reads nothing.

create function app.my_device_id() returns uuid
  language sql stable security definer set search_path = ''
as $$
  select d.id from public.devices d
   where d.token_hash = (auth.jwt() ->> 'device_token_sha256') and d.revoked_at is null
$$;

create function app.my_device_patient_id() returns uuid
  language sql stable security definer set search_path = ''
as $$
  select d.patient_id from public.devices d
   where d.token_hash = (auth.jwt() ->> 'device_token_sha256') and d.revoked_at is null
$$;

-- The device behind the request's claims, if live; notes when it was last seen (at most
-- once a minute, so a busy device does not rewrite its row on every batch).
create function app.authenticate_device() returns table (device_id uuid, patient_id uuid)
  language plpgsql volatile security definer set search_path = ''
as $$
begin
  return query
  update public.devices d
     set last_seen_at = now()
   where d.token_hash = (auth.jwt() ->> 'device_token_sha256') and d.revoked_at is null
     and (d.last_seen_at is null or d.last_seen_at < now() - interval '1 minute')
  returning d.id, d.patient_id;
  if not found then
    return query
    select d.id, d.patient_id from public.devices d
     where d.token_hash = (auth.jwt() ->> 'device_token_sha256') and d.revoked_at is null;
  end if;
end $$;

grant execute on function app.my_device_id(), app.my_device_patient_id(), app.authenticate_device() to authenticated;

create policy "Devices record their own patient's readings" on public.vitals
  for insert to authenticated
  with check (device_id = (select app.my_device_id())
              and patient_id = (select app.my_device_patient_id())
              and recorded_by is null);

------------------------------------------------------------------------------ care_message_reads
create table public.care_message_reads (
  user_id      uuid not null references auth.users (id) on delete cascade,
  patient_id   uuid not null references public.patients (id) on delete cascade,
  last_read_at timestamptz not null,
  primary key (user_id, patient_id)
);
comment on table public.care_message_reads is 'How far each care-team member has read a patient''s channel (unread counts).';
create index care_message_reads_patient_idx on public.care_message_reads (patient_id);

alter table public.care_message_reads enable row level security;
grant select, insert (user_id, patient_id, last_read_at), update (last_read_at) on public.care_message_reads to authenticated;

create policy "Members see their own read markers" on public.care_message_reads
  for select to authenticated
  using (user_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Members set their own read markers" on public.care_message_reads
  for insert to authenticated
  with check (user_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));
create policy "Members move their own read markers" on public.care_message_reads
  for update to authenticated
  using (user_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]))
  with check (user_id = (select auth.uid()) and patient_id = any ((select app.my_chartable_patient_ids())::uuid[]));

