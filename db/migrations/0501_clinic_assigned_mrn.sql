-- Clinic-assigned medical record numbers (docs/mrn.md).
--
-- A patient registered without an MRN gets the next one from a sequence, formatted
-- MRN-000123 (more digits once past 999999). MRNs stay unique in the clinic
-- (patients_mrn_unique); an MRN the caller types that is already taken is refused with one
-- generic answer whether or not the caller can see the other record (src/core/clinical/patients.ts).
-- Existing rows keep their MRNs.

create sequence public.patient_mrn_seq as bigint minvalue 1;
comment on sequence public.patient_mrn_seq is 'Numbers for clinic-assigned MRNs (app.next_mrn); gaps are normal.';

-- Start after the highest MRN-<digits> already on file, so the first numbers are not all skipped.
select setval(
  'public.patient_mrn_seq',
  coalesce((select max(substring(mrn from '^MRN-([0-9]{1,15})$')::bigint) from public.patients), 0) + 1,
  false
);

-- The next free MRN. Security definer: it must see every patient (not only the caller's) to
-- skip a number someone typed by hand; it reveals no more than the unique constraint does.
create function app.next_mrn() returns text
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  n bigint;
  candidate text;
begin
  loop
    n := nextval('public.patient_mrn_seq');
    candidate := 'MRN-' || case when n < 1000000 then lpad(n::text, 6, '0') else n::text end;
    exit when not exists (select 1 from public.patients where mrn = candidate);
  end loop;
  return candidate;
end $$;
comment on function app.next_mrn() is 'The next clinic-assigned MRN (MRN-000123), skipping any already on file. Default of patients.mrn.';
grant execute on function app.next_mrn() to authenticated, app_admin;

alter table public.patients alter column mrn set default app.next_mrn();
