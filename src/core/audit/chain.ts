/**
 * The audit hash chains (db/migrations/0201_audit_chain.sql), as the verifier sees them.
 *
 * Be extremely careful when modifying CANONICAL_SQL: it must produce exactly the text that
 * app.audit_canonical(record) produces when the record is written. The verifier carries
 * its own copy on purpose, so that replacing the database function cannot make a
 * tampered trail verify.
 */
export const CHAIN_COUNT = 32;
export const GENESIS_HASH = "0".repeat(64);

/** The canonical text of audit record `a` (an alias of public.audit_log). */
export const CANONICAL_SQL = `jsonb_build_array(
    a.id, a.chain_id, a.chain_seq,
    to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.actor_id, a.actor_role, a.action, a.table_name, a.record_id, a.patient_id,
    a.old_row, a.new_row, a.details, a.request_id, a.ip, a.user_agent)::text`;

/** sha256(prev_hash || canonical), hex, computed by the database for record `a`. */
export const RECOMPUTED_HASH_SQL = `encode(sha256(convert_to(a.prev_hash || ${CANONICAL_SQL}, 'UTF8')), 'hex')`;

/** The triggers that make the trail what it is; verify refuses a trail whose triggers are off. */
export const GUARD_TRIGGERS: ReadonlyArray<readonly [table: string, trigger: string]> = [
  ["public.audit_log", "audit_log_chain"],
  ["public.audit_log", "audit_log_head"],
  ["public.audit_log", "audit_log_append_only"],
  ["public.audit_log", "audit_log_no_truncate"],
  ["app.audit_checkpoints", "audit_checkpoints_append_only"],
  ["app.audit_checkpoints", "audit_checkpoints_no_truncate"],
  ["app.audit_read_stage", "audit_read_stage_append_only"],
  ["app.audit_read_stage", "audit_read_stage_no_truncate"],
];

/** PHI tables whose writes must be recorded (db/migrations/0203, 0206: app.audit_table). */
export const AUDITED_TABLES = [
  "patients", "care_team", "visits", "prescriptions", "documents", "appointments",
  "care_messages", "devices", "vitals", "invites",
] as const;

/** The functions audit triggers on PHI tables run (0202, 0206). */
export const AUDIT_TRIGGER_FUNCTIONS: readonly string[] = ["audit_statement_change", "audit_vitals_batch", "audit_row_change"];
