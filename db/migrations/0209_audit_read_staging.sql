-- Read records are staged, then chained in batches (docs/audit.md, "Read records: staged,
-- then chained").
--
-- Measured (bench/audit.ts, PostgreSQL 15): a read record written straight into the chained
-- trail cost more than the chart read it records. Its parts, each about as large as the
-- read itself: the six indexes of public.audit_log, the chain step (locking the chain's
-- head row, the hash, the head update at commit), the caller check computing the caller's
-- whole readable set, and one more round trip. So the hot path now does only what must
-- happen inside the reader's transaction: one INSERT into an index-free, trigger-free
-- staging table, ideally in the same statement as the read (src/core/audit/record.ts).
-- The record takes its final audit_log id at that moment (same sequence), so the order of
-- records is unchanged. A service job (src/core/audit/checkpoint.ts, every second) and every
-- reader of the trail (before reading) move staged records into public.audit_log, where
-- the chain trigger links them as usual, keeping their id and time; the job then signs the
-- chain heads within seconds.
--
-- app.record_read (0207/0208) stays: it writes a chained record at once (for callers that
-- need the record on a chain before their transaction ends).

create table app.audit_read_stage (
  id          bigint not null, -- default: the next audit_log id (below)
  occurred_at timestamptz not null default clock_timestamp(),
  actor_id    uuid,
  actor_role  text,
  table_name  text not null,
  patient_id  uuid,
  details     jsonb not null,
  request_id  text,
  ip          text,
  user_agent  text
);
comment on table app.audit_read_stage is
  'Read records not yet on a hash chain: written by app.stage_read, moved into public.audit_log by app.audit_drain_reads (within seconds). No index on purpose (the hot path). Service only.';
do $$
begin
  execute format('alter table app.audit_read_stage alter column id set default nextval(%L::regclass)',
                 pg_get_serial_sequence('public.audit_log', 'id'));
end $$;
alter table app.audit_read_stage enable row level security;
revoke all on app.audit_read_stage from public, anon, authenticated, app_admin;
revoke update, truncate on app.audit_read_stage from current_user;

-- Append-only, except for the drain, which deletes the rows it moves in the same statement
-- that inserts them into the chained trail. Disabling these triggers (owner or superuser) is
-- reported by audit:verify (src/core/audit/chain.ts, GUARD_TRIGGERS).
create function app.audit_stage_guard() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and current_setting('carebase.audit_draining', true) = 'on' then
    return null;
  end if;
  raise exception 'The audit trail is append-only: % on %.% is refused.', tg_op, tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege';
end $$;

create trigger audit_read_stage_append_only before update or delete on app.audit_read_stage
  for each statement execute function app.audit_stage_guard();
create trigger audit_read_stage_no_truncate before truncate on app.audit_read_stage
  for each statement execute function app.audit_refuse_change();

-- Whether `uid` may read every patient in `patient_ids`: the rule of
-- app.readable_patient_ids (0007: a verified, active provider on the care team, or the
-- patient's own active account). A read record usually names one patient, and building the
-- caller's whole set for it cost more than the chart read (a provider may have thousands
-- of patients; the set query was also planned again at every call): up to 8 patients are
-- checked one by one through the indexes (about 15 µs each), more against the set.
-- tests/audit/staging.test.ts checks that both answers agree. Change both together.
create function app.may_read_patients(uid uuid, patient_ids uuid[]) returns boolean
  language plpgsql stable security definer
  set search_path = ''
as $$
declare
  pid uuid;
begin
  if uid is null then
    return false;
  end if;
  if cardinality(patient_ids) > 8 then
    return patient_ids <@ app.readable_patient_ids(uid);
  end if;
  foreach pid in array coalesce(patient_ids, '{}'::uuid[]) loop
    if pid is null then
      return false;
    end if;
    if not exists (select 1
                     from public.care_team ct
                     join public.providers p on p.user_id = ct.provider_id and p.is_verified
                     join auth.users u on u.id = ct.provider_id and u.is_active
                    where ct.provider_id = uid and ct.patient_id = pid)
       and not exists (select 1
                         from public.patients pt
                         join auth.users u on u.id = pt.user_id and u.is_active
                        where pt.id = pid and pt.user_id = uid) then
      return false;
    end if;
  end loop;
  return true;
end $$;

-- The read-record writer for the data layer: same contract, checks and record contents as
-- app.record_read (0207, 0208), minus the chain work. One record per distinct patient (one
-- without a patient when none is given). A transaction whose first write this is commits
-- asynchronously, as 0205 decided for read records.
create function app.stage_read(kind text, patient_ids uuid[], record_ids text[], details jsonb default null)
  returns void
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  claims jsonb := auth.jwt();
begin
  if kind is null or kind !~ '^[a-z_]{1,64}$' then
    raise exception 'Invalid read kind.' using errcode = 'invalid_parameter_value';
  end if;
  if claims ->> 'role' = 'authenticated' and coalesce(cardinality(patient_ids), 0) > 0
     and not app.may_read_patients(nullif(claims ->> 'sub', '')::uuid, patient_ids) then
    raise exception 'Cannot record a read of a patient you cannot read.' using errcode = 'insufficient_privilege';
  end if;
  if pg_current_xact_id_if_assigned() is null
     and coalesce(current_setting('carebase.audit_sync_reads', true), '') <> 'on' then
    perform set_config('carebase.audit_prev_sync', current_setting('synchronous_commit'), true),
            set_config('synchronous_commit', 'off', true);
  end if;
  insert into app.audit_read_stage (actor_id, actor_role, table_name, patient_id, details, request_id, ip, user_agent)
  select nullif(claims ->> 'sub', '')::uuid,
         coalesce(claims ->> 'app_role', claims ->> 'role', 'system'),
         kind, p.id,
         coalesce(details, '{}'::jsonb)
           || jsonb_build_object('records', to_jsonb(coalesce(record_ids, '{}'::text[])))
           || case
                when claims ->> 'role' = 'service_role' then jsonb_build_object('service', true, 'service_reason', claims ->> 'reason')
                when claims = '{}'::jsonb then jsonb_build_object('db_user', session_user::text)
                else '{}'::jsonb
              end,
         nullif(current_setting('request.id', true), ''), nullif(current_setting('request.ip', true), ''),
         nullif(left(current_setting('request.user_agent', true), 512), '')
    from (select distinct x as id from unnest(coalesce(patient_ids, '{}'::uuid[])) x
          union all
          select null where coalesce(cardinality(patient_ids), 0) = 0) p;
end $$;
grant execute on function app.stage_read(text, uuid[], text[], jsonb) to authenticated, app_admin;

-- The chain trigger of 0205, unchanged except for the time: records moved from the stage
-- keep the time they were read at. Only app.audit_drain_reads sets carebase.audit_draining,
-- and no writer callable by application roles takes a time from its caller, so a writer
-- still cannot backdate a record.
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
  if new.occurred_at is null or coalesce(current_setting('carebase.audit_draining', true), '') <> 'on' then
    new.occurred_at := clock_timestamp();
  end if;
  new.chain_id := k;
  new.chain_seq := seq + 1;
  new.prev_hash := prev;
  -- app.audit_canonical(new), written out (0205). Keep the three copies equal (this one,
  -- app.audit_canonical, src/core/audit/chain.ts).
  new.hash := encode(sha256(convert_to(prev || jsonb_build_array(
    new.id, new.chain_id, new.chain_seq,
    to_char(new.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    new.actor_id, new.actor_role, new.action, new.table_name, new.record_id, new.patient_id,
    new.old_row, new.new_row, new.details, new.request_id, new.ip, new.user_agent)::text, 'UTF8')), 'hex');
  perform set_config('carebase.audit_seq', new.chain_seq::text, true);
  perform set_config('carebase.audit_hash', new.hash, true);
  return new;
end $$;

-- Moves up to `max_records` staged read records, oldest first, into the chained trail, in
-- one statement (delete from the stage, insert into audit_log: both commit or neither).
-- Drains are serialised by an advisory lock, so a reader that drains before reading the
-- trail also waits for a drain in flight and then sees its records. Does nothing while the
-- chain trigger is off (audit:verify reports that). Returns how many records moved.
create function app.audit_drain_reads(max_records integer default 10000)
  returns integer
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  n integer;
begin
  if not exists (select 1 from pg_catalog.pg_trigger t
                  where t.tgrelid = 'public.audit_log'::regclass and t.tgname = 'audit_log_chain' and t.tgenabled in ('O', 'A')) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtext('carebase.audit_drain_reads'));
  perform set_config('carebase.audit_draining', 'on', true);
  with moved as (
    delete from app.audit_read_stage s
     where s.ctid = any (array(select x.ctid from app.audit_read_stage x order by x.id limit greatest(coalesce(max_records, 10000), 1)))
    returning s.*
  )
  insert into public.audit_log (id, occurred_at, actor_id, actor_role, action, table_name, patient_id, details, request_id, ip, user_agent)
  overriding system value
  select m.id, m.occurred_at, m.actor_id, m.actor_role, 'read', m.table_name, m.patient_id, m.details, m.request_id, m.ip, m.user_agent
    from moved m
   order by m.id;
  get diagnostics n = row_count;
  perform set_config('carebase.audit_draining', '', true);
  return n;
end $$;
comment on function app.audit_drain_reads(integer) is
  'Moves staged read records into the chained trail (service job every second, and every reader of the trail before reading). Owner only.';
