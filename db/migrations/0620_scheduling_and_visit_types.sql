-- Provider scheduling and visit types (issue #15, items 4 and 5; docs/scheduling.md).
--
-- 1. A care-team member books an appointment for their patient with a provider of that
--    patient's care team, confirmed at once (patients still only request). The existing
--    exclusion constraint appointments_no_double_booking (0003, btree_gist on both engines)
--    keeps refusing two confirmed appointments of one provider that overlap, whoever writes
--    them and however they race.
-- 2. Rescheduling moves only an open appointment (requested or confirmed).
-- 3. Cancelling keeps why, who and when: cancel_reason (required when staff cancel; a
--    patient may give one), cancelled_by and cancelled_at stamped by the guard (nobody can
--    write them). Existing cancelled rows keep null for all three.
-- 4. Visits carry a visit type; existing rows are office visits.

------------------------------------------------------------------------------ appointments
alter table public.appointments
  add column cancel_reason text check (cancel_reason is null or length(btrim(cancel_reason)) between 1 and 500),
  add column cancelled_by  uuid references auth.users (id),
  add column cancelled_at  timestamptz,
  add constraint appointments_cancel_consistent check (status = 'cancelled' or (cancel_reason is null and cancelled_by is null and cancelled_at is null));

grant update (cancel_reason) on public.appointments to authenticated;

create policy "Care team books confirmed appointments with a team provider" on public.appointments
  for insert to authenticated
  with check (patient_id = any ((select app.my_chartable_patient_ids())::uuid[])
              and requested_by = (select auth.uid())
              and status = 'confirmed'
              and app.on_readable_care_team(patient_id, provider_id));

-- The 0010 guard, with the rescheduling rule, the cancel reason and the cancel stamps.
set local role service_role;
create or replace function app.appointments_guard() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  is_patient boolean := false;
  cancelling boolean := new.status = 'cancelled' and old.status is distinct from 'cancelled';
begin
  if new.status is distinct from old.status and not (
       (old.status = 'requested' and new.status in ('confirmed', 'declined', 'cancelled'))
    or (old.status = 'confirmed' and new.status in ('cancelled', 'completed'))) then
    raise exception 'An appointment that is % cannot become %.', old.status, new.status
      using errcode = 'check_violation', constraint = 'appointments_status_transition';
  end if;
  if (new.starts_at is distinct from old.starts_at or new.ends_at is distinct from old.ends_at)
     and old.status not in ('requested', 'confirmed') then
    raise exception 'Only a requested or confirmed appointment can be rescheduled.'
      using errcode = 'check_violation', constraint = 'appointments_reschedule_open';
  end if;
  if uid is not null then
    select exists (select 1 from public.patients p where p.id = old.patient_id and p.user_id = uid) into is_patient;
    if is_patient and (new.status <> 'cancelled' or new.starts_at is distinct from old.starts_at
                       or new.ends_at is distinct from old.ends_at or new.reason is distinct from old.reason) then
      raise exception 'Patients can only cancel their appointments.' using errcode = 'insufficient_privilege';
    end if;
  end if;
  if cancelling then
    if not is_patient and length(btrim(coalesce(new.cancel_reason, ''))) = 0 then
      raise exception 'Cancelling an appointment needs a reason.'
        using errcode = 'check_violation', constraint = 'appointments_cancel_reason';
    end if;
    new.cancelled_by := uid;
    new.cancelled_at := now();
  else
    if new.cancel_reason is distinct from old.cancel_reason then
      raise exception 'A cancel reason is given when cancelling.'
        using errcode = 'check_violation', constraint = 'appointments_cancel_reason';
    end if;
    new.cancelled_by := old.cancelled_by;
    new.cancelled_at := old.cancelled_at;
  end if;
  return new;
end $$;
reset role;

-- The Today view: one provider's appointments in a time window.
-- (appointments_provider_idx (provider_id, starts_at) from 0003 serves it.)

------------------------------------------------------------------------------ visits
alter table public.visits
  add column visit_type text not null default 'office'
    check (visit_type in ('office', 'telehealth', 'follow_up', 'urgent', 'annual'));
grant insert (visit_type), update (visit_type) on public.visits to authenticated;
