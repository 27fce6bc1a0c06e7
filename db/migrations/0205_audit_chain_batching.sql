-- Two costs of the first version (0201, 0202), measured by bench/audit.ts on PostgreSQL 15:
--
-- 1. Updating the chain head once per record made a transaction that writes many records
--    (a bulk import, a patient deletion cascading to thousands of rows) quadratic: every
--    update of the head row left another version its next lock had to walk. The chain's
--    position now travels in transaction-local settings (carebase.audit_seq/_hash) while
--    the transaction holds the head row locked, and the head row is written once, at
--    commit, by a deferred constraint trigger.
-- 2. A request that only reads PHI became a writing transaction whose commit waited for
--    the WAL flush (fdatasync: 0.5–1.4 ms here, more than the read itself). Read records
--    now commit asynchronously (synchronous_commit = off for that transaction only) when
--    the transaction had written nothing before its first read record; any audited write
--    or account event in the same transaction turns the durable commit back on. Set
--      alter database <db> set carebase.audit_sync_reads = on
--    to make read records wait for the flush too. docs/audit.md explains the trade-off.

create or replace function app.audit_chain_link() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  k    integer := nullif(current_setting('carebase.audit_chain', true), '')::integer;
  home integer;
  seq  bigint;
  prev text;
begin
  if k is null then
    -- the first audit record of this transaction: take a chain nobody else holds (this
    -- backend's own first), and keep it locked until commit
    home := pg_backend_pid() % 32;
    select h.chain_id, h.seq, h.hash into k, seq, prev
      from app.audit_chain_heads h where h.chain_id = home
       for update skip locked;
    if k is null then
      select h.chain_id, h.seq, h.hash into k, seq, prev
        from app.audit_chain_heads h
       order by (h.chain_id - home + 32) % 32
         for update skip locked
       limit 1;
    end if;
    if k is null then
      -- all 32 busy: queue behind this backend's own chain
      select h.chain_id, h.seq, h.hash into k, seq, prev
        from app.audit_chain_heads h where h.chain_id = home
         for update;
    end if;
    perform set_config('carebase.audit_chain', k::text, true);
  else
    seq := current_setting('carebase.audit_seq')::bigint;
    prev := current_setting('carebase.audit_hash');
  end if;
  new.occurred_at := clock_timestamp();
  new.chain_id := k;
  new.chain_seq := seq + 1;
  new.prev_hash := prev;
  -- app.audit_canonical(new), written out: a function with its own search_path is never
  -- inlined, and the call cost five times the expression. Keep the three copies equal
  -- (this one, app.audit_canonical, src/core/audit/chain.ts).
  new.hash := encode(sha256(convert_to(prev || jsonb_build_array(
    new.id, new.chain_id, new.chain_seq,
    to_char(new.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    new.actor_id, new.actor_role, new.action, new.table_name, new.record_id, new.patient_id,
    new.old_row, new.new_row, new.details, new.request_id, new.ip, new.user_agent)::text, 'UTF8')), 'hex');
  perform set_config('carebase.audit_seq', new.chain_seq::text, true);
  perform set_config('carebase.audit_hash', new.hash, true);
  return new;
end $$;

-- At commit: write the chain's new head once (the first deferred event does it; the rest
-- find nothing to do).
create function app.audit_chain_flush() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  k integer := nullif(current_setting('carebase.audit_chain', true), '')::integer;
  s text := nullif(current_setting('carebase.audit_seq', true), '');
begin
  if k is null or s is null or s = coalesce(current_setting('carebase.audit_flushed', true), '') then
    return null;
  end if;
  update app.audit_chain_heads set seq = s::bigint, hash = current_setting('carebase.audit_hash') where chain_id = k;
  perform set_config('carebase.audit_flushed', s, true);
  return null;
end $$;

create constraint trigger audit_log_head after insert on public.audit_log
  deferrable initially deferred
  for each row execute function app.audit_chain_flush();

-- Reads: asynchronous commit for transactions that only read (see above).
create or replace function app.record_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  pid uuid;
  d jsonb := coalesce(details, '{}'::jsonb) || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])));
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if pg_current_xact_id_if_assigned() is null
     and coalesce(current_setting('carebase.audit_sync_reads', true), '') <> 'on' then
    perform set_config('carebase.audit_prev_sync', current_setting('synchronous_commit'), true);
    perform set_config('synchronous_commit', 'off', true);
  end if;
  if patient_ids is null or cardinality(patient_ids) = 0 then
    perform app.audit_write('read', kind, null, null, null, null, d);
    return;
  end if;
  foreach pid in array array(select distinct x from unnest(patient_ids) x) loop
    perform app.audit_write('read', kind, null, pid, null, null, d);
  end loop;
end $$;

-- Writes and events: a durable commit, whatever a read earlier in the transaction chose.
create or replace function app.audit_write(
  p_action text, p_table text, p_record_id text, p_patient_id uuid,
  p_old jsonb, p_new jsonb, p_details jsonb, p_actor_id uuid default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims  jsonb := auth.jwt();
  uid     uuid := nullif(claims ->> 'sub', '')::uuid; -- auth.uid(), without parsing the claims twice
  d       jsonb := coalesce(p_details, '{}'::jsonb);
  v_actor uuid;
  v_role  text;
  v_sync  text;
begin
  if p_action <> 'read' then
    v_sync := nullif(current_setting('carebase.audit_prev_sync', true), '');
    if v_sync is not null then
      perform set_config('synchronous_commit', v_sync, true);
    end if;
  end if;
  if uid is not null then
    -- a signed-in user: the claims say who, whatever the caller passed
    v_actor := uid;
    v_role := coalesce(claims ->> 'app_role', claims ->> 'role');
  elsif p_actor_id is not null then
    -- service path acting for a known account (sign-in, invite redemption)
    v_actor := p_actor_id;
    select u.role into v_role from auth.users u where u.id = p_actor_id;
  else
    v_role := coalesce(claims ->> 'app_role', claims ->> 'role', 'system');
  end if;
  if claims ->> 'role' = 'service_role' then
    d := d || jsonb_build_object('service', true, 'service_reason', claims ->> 'reason');
  elsif claims = '{}'::jsonb then
    -- no claims at all: migrations, or someone at a psql prompt
    d := d || jsonb_build_object('db_user', session_user::text);
  end if;
  insert into public.audit_log
    (actor_id, actor_role, action, table_name, record_id, patient_id, old_row, new_row, details, request_id, ip, user_agent)
  values
    (v_actor, v_role, p_action, p_table, p_record_id, p_patient_id, p_old, p_new, d,
     nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
     nullif(left(current_setting('request.user_agent', true), 512), ''));
end $$;
