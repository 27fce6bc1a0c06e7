-- Writes are recorded per statement instead of per row (one record per changed row
-- still): the trigger runs once per statement and inserts all its records with one
-- INSERT ... SELECT over the statement's transition tables, so a batch of rows costs one
-- function call instead of one per row (bench/audit.ts: row-level auditing cost ~190 µs a
-- row on top of the write). The records are the same as 0202's app.audit_row_change wrote.
--
-- Adding a PHI table to the trail is one line (docs/audit.md):
--   select app.audit_table('public.<table>');                       -- id, patient_id
--   select app.audit_table('public.<table>', 'user_id', 'patient_id'); -- other columns

create function app.audit_statement_change() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  id_col      text := coalesce(tg_argv[0], 'id');
  patient_col text := coalesce(tg_argv[1], 'patient_id');
  tbl         text := case when tg_table_schema = 'public' then tg_table_name else tg_table_schema || '.' || tg_table_name end;
  secrets     text[] := array['password_hash', 'token_hash', 'code_hash', 'secret_enc'];
  claims      jsonb := auth.jwt();
  uid         uuid := nullif(claims ->> 'sub', '')::uuid;
  v_role      text := coalesce(claims ->> 'app_role', claims ->> 'role', 'system');
  d           jsonb;
  req_id      text := nullif(current_setting('request.id', true), '');
  req_ip      text := nullif(current_setting('request.ip', true), '');
  req_ua      text := nullif(left(current_setting('request.user_agent', true), 512), '');
  v_sync      text := nullif(current_setting('carebase.audit_prev_sync', true), '');
begin
  if v_sync is not null then
    perform set_config('synchronous_commit', v_sync, true); -- a write commits durably (0205)
  end if;
  d := case
         when claims ->> 'role' = 'service_role' then jsonb_build_object('service', true, 'service_reason', claims ->> 'reason')
         when claims = '{}'::jsonb then jsonb_build_object('db_user', session_user::text)
         else '{}'::jsonb
       end;
  if tg_op = 'INSERT' then
    insert into public.audit_log (actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details, request_id, ip, user_agent)
    select uid, v_role, 'insert', tbl, x.r ->> id_col, (x.r ->> patient_col)::uuid, null, x.r, d, req_id, req_ip, req_ua
      from (select to_jsonb(t) - secrets as r from new_rows t) x;
  elsif tg_op = 'DELETE' then
    insert into public.audit_log (actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details, request_id, ip, user_agent)
    select uid, v_role, 'delete', tbl, x.r ->> id_col, (x.r ->> patient_col)::uuid, x.r, null, d, req_id, req_ip, req_ua
      from (select to_jsonb(t) - secrets as r from old_rows t) x;
  else
    insert into public.audit_log (actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details, request_id, ip, user_agent)
    select uid, v_role, 'update', tbl, coalesce(b.r, a.r) ->> id_col, (coalesce(b.r, a.r) ->> patient_col)::uuid, a.r, b.r, d, req_id, req_ip, req_ua
      from (select to_jsonb(t) - secrets as r from old_rows t) a
      full join (select to_jsonb(t) - secrets as r from new_rows t) b on (a.r ->> id_col) = (b.r ->> id_col);
  end if;
  return null;
end $$;

-- Puts a table's writes on the trail: three statement triggers (insert, update, delete),
-- each with its transition table. Idempotent.
create function app.audit_table(tbl regclass, id_col text default 'id', patient_col text default 'patient_id')
  returns void
  language plpgsql
  set search_path = ''
as $$
declare
  base text := (select c.relname from pg_catalog.pg_class c where c.oid = tbl);
begin
  execute format('drop trigger if exists %I on %s', base || '_audit', tbl);
  execute format('drop trigger if exists %I on %s', base || '_audit_insert', tbl);
  execute format('drop trigger if exists %I on %s', base || '_audit_update', tbl);
  execute format('drop trigger if exists %I on %s', base || '_audit_delete', tbl);
  execute format('create trigger %I after insert on %s referencing new table as new_rows for each statement execute function app.audit_statement_change(%L, %L)',
                 base || '_audit_insert', tbl, id_col, patient_col);
  execute format('create trigger %I after update on %s referencing old table as old_rows new table as new_rows for each statement execute function app.audit_statement_change(%L, %L)',
                 base || '_audit_update', tbl, id_col, patient_col);
  execute format('create trigger %I after delete on %s referencing old table as old_rows for each statement execute function app.audit_statement_change(%L, %L)',
                 base || '_audit_delete', tbl, id_col, patient_col);
end $$;

select app.audit_table('public.patients', 'id', 'id');
select app.audit_table('public.care_team');
select app.audit_table('public.visits');
select app.audit_table('public.prescriptions');
select app.audit_table('public.documents');
select app.audit_table('public.appointments');
select app.audit_table('public.care_messages');
select app.audit_table('public.devices');
select app.audit_table('public.invites');
-- vitals keep their batch summary (0202/0203): one record per statement and patient.
