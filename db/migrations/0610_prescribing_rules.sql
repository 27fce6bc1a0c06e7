-- Prescribing rules (issue #15, items 1–3; docs/prescribing.md).
--
-- 1. Prescribing follows the licence: a provider carries a professional credential, and only
--    the prescribing credentials (physician, nurse practitioner, physician assistant) are in
--    app.prescribable_patient_ids(). The care-team seat still matters (attending or
--    specialist, as before): both must hold. Existing providers get 'other' (they cannot
--    prescribe until an administrator records their credential): the database cannot know
--    who holds a prescribing licence, and assuming 'physician' would keep the very hole this
--    closes (a nurse who registered a patient prescribing as its attending).
-- 2. An attending member adds and removes colleagues on their patient's care team (not
--    themselves, and not the team role 'admin'; changing a role stays with administrators).
-- 3. Safe prescribing and the lifecycle: the override reason of an allergy conflict is kept on
--    the prescription (the check itself is in src/core/clinical/allergy-conflicts.ts); a
--    status (active / completed / discontinued) with the reason for the last change;
--    is_active stays, kept equal to status = 'active' by a trigger, so older clients that
--    read or write it keep working.

------------------------------------------------------------------------------ credentials
alter table public.providers
  add column credential text not null default 'other'
    constraint providers_credential_known check (credential in
      ('physician', 'nurse_practitioner', 'physician_assistant', 'registered_nurse', 'medical_assistant', 'other'));
comment on column public.providers.credential is
  'Professional credential. Only physician, nurse_practitioner and physician_assistant prescribe (app.prescribable_patient_ids). Set at sign-up or by an administrator.';

-- Admins register staff with a credential (insert policy "Admins register providers", 0100).
grant insert (credential) on public.providers to app_admin;

-- Admins change a credential through this function: the update policy "Admins verify
-- providers" (0005) requires verified_by to be the admin making the change, which would
-- refuse a credential change on a provider someone else verified.
create function app.set_provider_credential(provider uuid, new_credential text) returns boolean
  language plpgsql volatile security definer
  set search_path = ''
as $$
begin
  if not coalesce(app.i_am_admin(), false) then
    raise exception 'only an administrator records a credential' using errcode = '42501';
  end if;
  update public.providers set credential = new_credential where user_id = provider;
  return found;
end $$;
grant execute on function app.set_provider_credential(uuid, text) to app_admin;
alter function app.set_provider_credential(uuid, text) owner to service_role;

-- Be extremely careful here: every prescription insert and update depends on this set.
-- Same shape as before (a sorted uuid[] computed once per statement); empty unless the
-- provider's credential prescribes.
set local role service_role;
create or replace function app.prescribable_patient_ids(uid uuid) returns uuid[]
  language plpgsql stable security definer
  set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.providers p
     where p.user_id = uid
       and p.credential in ('physician', 'nurse_practitioner', 'physician_assistant')) then
    return '{}'::uuid[];
  end if;
  return app.care_team_patient_ids(uid, array['attending', 'specialist']);
end $$;
reset role;

------------------------------------------------------------------------------ care teams
-- The patients whose care team the caller leads (attending seat, verified, active).
create function app.my_attending_patient_ids() returns uuid[]
  language plpgsql stable security definer set search_path = ''
as $$ begin return app.care_team_patient_ids(auth.uid(), array['attending']); end $$;
grant execute on function app.my_attending_patient_ids() to authenticated;
alter function app.my_attending_patient_ids() owner to service_role;

grant insert (patient_id, provider_id, role, added_by), delete on public.care_team to authenticated;

create policy "Attendings add colleagues to their patients' care teams" on public.care_team
  for insert to authenticated
  with check (patient_id = any ((select app.my_attending_patient_ids())::uuid[])
              and added_by = (select auth.uid())
              and provider_id <> (select auth.uid())
              and role in ('attending', 'nurse', 'specialist'));
create policy "Attendings remove colleagues from their patients' care teams" on public.care_team
  for delete to authenticated
  using (patient_id = any ((select app.my_attending_patient_ids())::uuid[])
         and provider_id <> (select auth.uid()));

------------------------------------------------------------------------------ prescriptions
alter table public.prescriptions
  add column allergy_override_reason text
    constraint prescriptions_override_reason_length check (allergy_override_reason is null or length(btrim(allergy_override_reason)) between 1 and 1000),
  add column status text not null default 'active'
    constraint prescriptions_status_known check (status in ('active', 'completed', 'discontinued')),
  add column status_reason text
    constraint prescriptions_status_reason_length check (status_reason is null or length(status_reason) <= 1000),
  add column status_changed_at timestamptz,
  add constraint prescriptions_discontinued_has_reason check (status <> 'discontinued' or length(btrim(coalesce(status_reason, ''))) > 0);
comment on column public.prescriptions.allergy_override_reason is
  'Why the prescriber went ahead although the drug matched a recorded allergy (required then; see docs/prescribing.md).';
comment on column public.prescriptions.status is 'active, completed or discontinued; is_active = (status = ''active'').';

-- Existing rows: a stopped prescription was stopped without a reason; call it completed.
update public.prescriptions set status = 'completed', status_changed_at = updated_at where not is_active;

-- is_active and status agree. A write of is_active alone (an older client) sets the status:
-- true → active, false → completed (stopping without a reason is not a discontinuation).
create function app.prescriptions_status_sync() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    if new.is_active is distinct from old.is_active and new.status is not distinct from old.status then
      new.status := case when new.is_active then 'active' else 'completed' end;
    end if;
    if new.status is distinct from old.status then
      new.status_changed_at := now();
    end if;
  elsif not new.is_active and new.status = 'active' then
    new.status := 'completed';
  end if;
  new.is_active := new.status = 'active';
  return new;
end $$;
create trigger prescriptions_status_sync before insert or update on public.prescriptions
  for each row execute function app.prescriptions_status_sync();

grant insert (allergy_override_reason, status) on public.prescriptions to authenticated;
grant update (status, status_reason) on public.prescriptions to authenticated;
