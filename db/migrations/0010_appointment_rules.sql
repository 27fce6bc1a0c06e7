-- Appointment lifecycle, enforced by the database:
--   requested -> confirmed | declined | cancelled
--   confirmed -> cancelled | completed
--   declined, cancelled, completed are final.
-- Patients may only cancel their own appointments, and change nothing else.

create function app.appointments_guard() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  is_patient boolean;
begin
  if new.status is distinct from old.status and not (
       (old.status = 'requested' and new.status in ('confirmed', 'declined', 'cancelled'))
    or (old.status = 'confirmed' and new.status in ('cancelled', 'completed'))) then
    raise exception 'An appointment that is % cannot become %.', old.status, new.status
      using errcode = 'check_violation', constraint = 'appointments_status_transition';
  end if;
  if uid is not null then
    select exists (select 1 from public.patients p where p.id = old.patient_id and p.user_id = uid) into is_patient;
    if is_patient and (new.status <> 'cancelled' or new.starts_at is distinct from old.starts_at
                       or new.ends_at is distinct from old.ends_at or new.reason is distinct from old.reason) then
      raise exception 'Patients can only cancel their appointments.' using errcode = 'insufficient_privilege';
    end if;
  end if;
  return new;
end $$;

create trigger appointments_guard before update on public.appointments
  for each row execute function app.appointments_guard();

create policy "Patients cancel their own appointments" on public.appointments
  for update to authenticated
  using (patient_id = any ((select app.my_patient_ids())::uuid[]))
  with check (patient_id = any ((select app.my_patient_ids())::uuid[]) and status = 'cancelled');
