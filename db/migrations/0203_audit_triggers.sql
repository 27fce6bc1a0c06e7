-- Every write to a PHI table leaves a record in the trail (app.audit_row_change, 0202).
-- Tables added later join with one line each (docs/audit.md); pass the record id and
-- patient id columns when they are not 'id' and 'patient_id'.

create trigger patients_audit after insert or update or delete on public.patients
  for each row execute function app.audit_row_change('id', 'id');
create trigger care_team_audit after insert or update or delete on public.care_team
  for each row execute function app.audit_row_change();
create trigger visits_audit after insert or update or delete on public.visits
  for each row execute function app.audit_row_change();
create trigger prescriptions_audit after insert or update or delete on public.prescriptions
  for each row execute function app.audit_row_change();
create trigger documents_audit after insert or update or delete on public.documents
  for each row execute function app.audit_row_change();
create trigger appointments_audit after insert or update or delete on public.appointments
  for each row execute function app.audit_row_change();
create trigger care_messages_audit after insert or update or delete on public.care_messages
  for each row execute function app.audit_row_change();
create trigger devices_audit after insert or update or delete on public.devices
  for each row execute function app.audit_row_change();
create trigger invites_audit after insert or update or delete on public.invites
  for each row execute function app.audit_row_change();

-- Vitals: one record per statement and patient (transition tables; one trigger per event).
create trigger vitals_audit_insert after insert on public.vitals
  referencing new table as new_rows
  for each statement execute function app.audit_vitals_batch();
create trigger vitals_audit_update after update on public.vitals
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.audit_vitals_batch();
create trigger vitals_audit_delete after delete on public.vitals
  referencing old table as old_rows
  for each statement execute function app.audit_vitals_batch();
