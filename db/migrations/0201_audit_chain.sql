-- The audit trail is append-only and tamper-evident (docs/audit.md).
--
-- Hash chains without one global lock: audit records are spread over 32 chains. A
-- transaction's first audit record picks a chain that no other transaction holds
-- (FOR UPDATE SKIP LOCKED on the chain's head row, starting from pg_backend_pid() mod 32)
-- and keeps it until commit, so concurrent writers do not wait for each other. Each record
-- stores its chain, its position, the previous record's hash and
--   hash = sha256(prev_hash || app.audit_canonical(record))
-- Signed checkpoints of every chain head (HMAC, key derived from CAREBASE_SECRET, which the
-- database never sees) are written by the application into app.audit_checkpoints, so that
-- removing the tail of a chain is detected too. `npm run audit:verify` checks all of it.
--
-- Be extremely careful when modifying app.audit_canonical: scripts/audit-verify.ts
-- (src/core/audit/chain.ts) recomputes the same text independently. Change both, or every
-- existing record stops verifying.

alter table public.audit_log
  add column chain_id  integer,
  add column chain_seq bigint,
  add column prev_hash text,
  add column hash      text;

create table app.audit_chain_heads (
  chain_id integer primary key check (chain_id between 0 and 31),
  seq      bigint not null default 0 check (seq >= 0),
  hash     text not null default repeat('0', 64)
);
comment on table app.audit_chain_heads is 'The last position and hash of each of the 32 audit hash chains. Service only.';
insert into app.audit_chain_heads (chain_id) select g from generate_series(0, 31) g;

-- The exact text a record's hash covers. Timestamps in UTC with microseconds, so that the
-- text does not depend on the session's TimeZone or DateStyle.
create function app.audit_canonical(a public.audit_log) returns text
  language sql stable
  set search_path = ''
as $$
  select jsonb_build_array(
    a.id, a.chain_id, a.chain_seq,
    to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.actor_id, a.actor_role, a.action, a.table_name, a.record_id, a.patient_id,
    a.old_row, a.new_row, a.details, a.request_id, a.ip, a.user_agent)::text
$$;

-- Existing records (written before this migration) start chain 0, in id order.
do $$
declare
  r record;
  prev text := repeat('0', 64);
  n bigint := 0;
  c public.audit_log;
begin
  for r in select id from public.audit_log order by id loop
    n := n + 1;
    update public.audit_log set chain_id = 0, chain_seq = n, prev_hash = prev where id = r.id returning * into c;
    prev := encode(sha256(convert_to(prev || app.audit_canonical(c), 'UTF8')), 'hex');
    update public.audit_log set hash = prev where id = r.id;
  end loop;
  update app.audit_chain_heads set seq = n, hash = prev where chain_id = 0;
end $$;

alter table public.audit_log
  alter column chain_id set not null,
  alter column chain_seq set not null,
  alter column prev_hash set not null,
  alter column hash set not null;
create unique index audit_log_chain_idx on public.audit_log (chain_id, chain_seq);

-- Links every new record into a chain. Runs for every insert, whoever the writer is.
create function app.audit_chain_link() returns trigger
  language plpgsql security definer
  set search_path = ''
as $$
declare
  k    integer := nullif(current_setting('carebase.audit_chain', true), '')::integer;
  head record;
begin
  if k is null then
    -- the first audit record of this transaction: take a chain nobody else holds
    select h.chain_id into k
      from app.audit_chain_heads h
     order by (h.chain_id - pg_backend_pid() % 32 + 32) % 32
       for update skip locked
     limit 1;
    if k is null then
      k := pg_backend_pid() % 32; -- all 32 busy: queue behind this backend's own chain
    end if;
    perform set_config('carebase.audit_chain', k::text, true);
  end if;
  select h.seq, h.hash into head from app.audit_chain_heads h where h.chain_id = k for update;
  new.occurred_at := clock_timestamp();
  new.chain_id := k;
  new.chain_seq := head.seq + 1;
  new.prev_hash := head.hash;
  new.hash := encode(sha256(convert_to(head.hash || app.audit_canonical(new), 'UTF8')), 'hex');
  update app.audit_chain_heads set seq = new.chain_seq, hash = new.hash where chain_id = k;
  return new;
end $$;

create trigger audit_log_chain before insert on public.audit_log
  for each row execute function app.audit_chain_link();

-- Append-only, for everyone including the table owner. Only a superuser (or the owner)
-- disabling these triggers gets past them, and audit:verify reports disabled triggers and
-- every record changed while they were off.
create function app.audit_refuse_change() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  raise exception 'The audit trail is append-only: % on %.% is refused.', tg_op, tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege';
end $$;

create trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function app.audit_refuse_change();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function app.audit_refuse_change();

-- Signed checkpoints of the chain heads (written by src/core/audit/checkpoint.ts).
create table app.audit_checkpoints (
  id         bigint generated always as identity primary key,
  created_at timestamptz not null,
  chain_id   integer not null check (chain_id between 0 and 31),
  chain_seq  bigint not null check (chain_seq > 0),
  hash       text not null check (hash ~ '^[0-9a-f]{64}$'),
  hmac       text not null check (hmac ~ '^[0-9a-f]{64}$')
);
comment on table app.audit_checkpoints is 'HMAC-signed snapshots of the audit chain heads; append-only. A record covered by a checkpoint cannot be removed or rewritten undetected.';
create index audit_checkpoints_chain_idx on app.audit_checkpoints (chain_id, chain_seq desc);

create trigger audit_checkpoints_append_only before update or delete on app.audit_checkpoints
  for each row execute function app.audit_refuse_change();
create trigger audit_checkpoints_no_truncate before truncate on app.audit_checkpoints
  for each statement execute function app.audit_refuse_change();

-- Privileges (as 0005 grants them, restated because this migration revokes first):
-- application roles never write the trail. Patients read who/what/when columns of their
-- own chart's records, never old_row/new_row or network addresses (policy in 0005);
-- admins read everything. The owner gives up its own update, delete and truncate rights
-- too (the triggers above refuse it anyway).
revoke all on public.audit_log from public, anon, authenticated, app_admin;
grant select (id, occurred_at, actor_id, actor_role, action, table_name, record_id, patient_id, details, request_id)
  on public.audit_log to authenticated;
grant select on public.audit_log to app_admin;
revoke update, delete, truncate on public.audit_log from current_user;
revoke update, delete, truncate on app.audit_checkpoints from current_user;

alter table app.audit_chain_heads enable row level security;
alter table app.audit_checkpoints enable row level security;
revoke all on app.audit_chain_heads, app.audit_checkpoints from public, anon, authenticated, app_admin;
