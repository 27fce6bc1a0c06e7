import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Kysely's view of the schema in db/migrations. Keep in step with the SQL. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DateOnly = ColumnType<string, string, string>;
type Json = ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;

export type AppRole = "patient" | "provider" | "admin";
export type CareTeamRole = "attending" | "nurse" | "specialist" | "admin";

export interface UsersTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  role: AppRole;
  full_name: string;
  is_active: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** 0630: the owner followed a link mailed to the address. */
  email_confirmed_at: Generated<Date | null>;
  /** 0630: invited by an admin; cleared once the invitee sets a password. */
  invited_at: Generated<Date | null>;
  /** 0630: the owner wants notices that are not about security (service path only). */
  mail_notices: Generated<boolean>;
}

export interface ProvidersTable {
  user_id: string;
  license_number: string;
  specialty: string;
  is_verified: Generated<boolean>;
  verified_at: Date | null;
  verified_by: string | null;
  /** Professional credential; only PRESCRIBING_CREDENTIALS prescribe (0610). */
  credential: Generated<ProviderCredential>;
  created_at: Timestamp;
}

export type ProviderCredential = "physician" | "nurse_practitioner" | "physician_assistant" | "registered_nurse" | "medical_assistant" | "other";
export type PrescriptionStatus = "active" | "completed" | "discontinued";

export interface PatientsTable {
  id: Generated<string>;
  user_id: string | null;
  created_by: string;
  first_name: string;
  last_name: string;
  date_of_birth: DateOnly;
  gender: "female" | "male" | "other" | "unknown";
  blood_type: string | null;
  allergies: ColumnType<string[], string[] | undefined, string[]>;
  emergency_contact: Json;
  address: string | null;
  insurance: Json;
  mrn: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CareTeamTable {
  id: Generated<string>;
  patient_id: string;
  provider_id: string;
  role: CareTeamRole;
  added_by: string | null;
  created_at: Timestamp;
}

export interface VisitsTable {
  id: Generated<string>;
  patient_id: string;
  provider_id: string;
  visit_date: Timestamp;
  chief_complaint: string;
  diagnosis: string | null;
  notes: string | null;
  vitals: Json;
  /** 0620: office, telehealth, follow_up, urgent, annual (existing rows: office). */
  visit_type: Generated<VisitType>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type VisitType = "office" | "telehealth" | "follow_up" | "urgent" | "annual";

export interface PrescriptionsTable {
  id: Generated<string>;
  visit_id: string | null;
  patient_id: string;
  prescriber_id: string;
  medication: string;
  dosage: string;
  frequency: string;
  start_date: DateOnly;
  end_date: DateOnly | null;
  /** Kept equal to status = 'active' by a trigger (0610), for older clients. */
  is_active: Generated<boolean>;
  status: Generated<PrescriptionStatus>;
  status_reason: string | null;
  status_changed_at: Date | null;
  allergy_override_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  patient_id: string;
  uploaded_by: string;
  object_key: string;
  document_type: string;
  description: string | null;
  original_name: string | null;
  content_type: string;
  size_bytes: ColumnType<string, number | bigint | string, number | bigint | string>;
  sha256: string;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  uploaded_at: Timestamp;
  deleted_at: Date | null;
  deleted_by: string | null;
  delete_reason: string | null;
}

export type AppointmentStatus = "requested" | "confirmed" | "declined" | "cancelled" | "completed";

export interface AppointmentsTable {
  id: Generated<string>;
  patient_id: string;
  provider_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  status: Generated<AppointmentStatus>;
  reason: string | null;
  requested_by: string | null;
  /** 0620: why it was cancelled; cancelled_by/cancelled_at are stamped by the database. */
  cancel_reason: Generated<string | null>;
  cancelled_by: Generated<string | null>;
  cancelled_at: Generated<Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CareMessagesTable {
  id: Generated<string>;
  patient_id: string;
  sender_id: string;
  message: string;
  priority: Generated<"normal" | "urgent">;
  created_at: Timestamp;
}

export interface DevicesTable {
  id: Generated<string>;
  patient_id: string;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  last_seen_at: Date | null;
  revoked_at: Date | null;
}

export interface VitalsTable {
  id: Generated<string>;
  patient_id: string;
  device_id: string | null;
  recorded_by: string | null;
  metric: string;
  value: number;
  unit: string;
  recorded_at: Timestamp;
  created_at: Timestamp;
}

export interface InvitesTable {
  id: Generated<string>;
  patient_id: string;
  code_hash: string;
  created_by: string;
  expires_at: Timestamp;
  used_at: Date | null;
  used_by: string | null;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  table_name: string | null;
  record_id: string | null;
  patient_id: string | null;
  old_row: Json;
  new_row: Json;
  details: Json;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface StorageObjectsTable {
  id: Generated<string>;
  bucket_id: string;
  name: string;
  owner: string | null;
  metadata: Json;
  patient_id: Generated<string | null>;
  created_at: Timestamp;
}

export interface DB {
  "auth.users": UsersTable;
  providers: ProvidersTable;
  patients: PatientsTable;
  care_team: CareTeamTable;
  visits: VisitsTable;
  prescriptions: PrescriptionsTable;
  documents: DocumentsTable;
  appointments: AppointmentsTable;
  care_messages: CareMessagesTable;
  devices: DevicesTable;
  vitals: VitalsTable;
  invites: InvitesTable;
  audit_log: AuditLogTable;
  "storage.objects": StorageObjectsTable;
  "auth.sessions": SessionsTable;
  "auth.refresh_tokens": RefreshTokensTable;
}

export type Patient = Selectable<PatientsTable>;
export type NewPatient = Insertable<PatientsTable>;
export type PatientUpdate = Updateable<PatientsTable>;
export type Visit = Selectable<VisitsTable>;
export type Prescription = Selectable<PrescriptionsTable>;

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  aal: Generated<"aal1" | "aal2">;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
  revoke_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  session_id: string;
  token_hash: string;
  created_at: Timestamp;
  spent_at: Date | null;
}

// ---------------------------------------------------------------------------------------
// Accounts (db/migrations/0100_accounts.sql).

export interface MfaFactorsTable {
  user_id: string;
  secret_enc: string;
  enabled_at: Date | null;
  last_used_step: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  created_at: Timestamp;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  key: string;
  window_start: Timestamp;
  hits: Generated<number>;
}

export interface SignInFailuresTable {
  email_key: string;
  failures: Generated<number>;
  lock_level: Generated<number>;
  locked_until: Date | null;
  last_failure_at: Timestamp;
}

export interface ClinicSettingsTable {
  id: Generated<boolean>;
  require_mfa_for_providers: Generated<boolean>;
  updated_at: Timestamp;
  updated_by: string | null;
}

/** Declaration merging: adds the account tables to DB without touching the block above. */
export interface DB {
  "auth.mfa_factors": MfaFactorsTable;
  "auth.recovery_codes": RecoveryCodesTable;
  "auth.rate_limits": RateLimitsTable;
  "auth.sign_in_failures": SignInFailuresTable;
  clinic_settings: ClinicSettingsTable;
}

// ---- realtime, messages and vitals (migrations 0400-0401) ----

export interface ChangeEventsTable {
  id: Generated<string>;
  table_name: "care_messages" | "vitals" | "visits" | "prescriptions" | "documents" | "appointments";
  op: "INSERT" | "UPDATE" | "DELETE";
  record_ids: string[];
  patient_id: string;
  created_at: Timestamp;
}

export interface ChangeEventsHorizonTable {
  id: Generated<number>;
  pruned_through: ColumnType<string, string | number, string | number>;
}

export interface CareMessageReadsTable {
  user_id: string;
  patient_id: string;
  last_read_at: Timestamp;
}

/** Declaration merging: adds the realtime and messaging tables to DB. */
export interface DB {
  "app.change_events": ChangeEventsTable;
  "app.change_events_horizon": ChangeEventsHorizonTable;
  care_message_reads: CareMessageReadsTable;
}

/** Declaration merging: columns 0100_accounts.sql adds to auth.sessions. */
export interface SessionsTable {
  mfa_pending: Generated<boolean>;
}

// ---- audit trail: hash chains and checkpoints (migrations 0201-0204) ----

/** Declaration merging: the chain columns of audit_log (0201). */
export interface AuditLogTable {
  chain_id: Generated<number>;
  chain_seq: Generated<string>;
  prev_hash: Generated<string>;
  hash: Generated<string>;
}

export interface AuditChainHeadsTable {
  chain_id: number;
  seq: ColumnType<string, string | number, string | number>;
  hash: string;
}

export interface AuditCheckpointsTable {
  id: Generated<string>;
  created_at: Timestamp;
  chain_id: number;
  chain_seq: ColumnType<string, string | number, string | number>;
  hash: string;
  hmac: string;
}

/** Declaration merging: adds the audit chain tables to DB. */
export interface DB {
  "app.audit_chain_heads": AuditChainHeadsTable;
  "app.audit_checkpoints": AuditCheckpointsTable;
}

// ---- FHIR Bulk Data export jobs (migration 0810) ----

export type FhirExportStatus = "accepted" | "running" | "completed" | "failed" | "cancelled";

export interface FhirExportJobsTable {
  id: Generated<string>;
  owner_id: string;
  level: "system" | "patient";
  types: string[];
  since: Date | null;
  request: string;
  status: Generated<FhirExportStatus>;
  progress: string | null;
  output: ColumnType<{ type: string; file: string; count: number }[], string | undefined, string>;
  error: string | null;
  transaction_time: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Date | null;
  expires_at: Generated<Date>;
}

/** Declaration merging: adds the export jobs table to DB. */
export interface DB {
  "app.fhir_export_jobs": FhirExportJobsTable;
}

// ---- signed prescriptions (migration 0720) ----

/** Declaration merging: the public verification code of a prescription (0720). */
export interface PrescriptionsTable {
  verification_code: Generated<string>;
}

export interface SigningKeysTable {
  purpose: string;
  certificate_pem: string;
  private_key_sealed: string;
  created_at: Timestamp;
}

/** Declaration merging: adds the signing keys table to DB. */
export interface DB {
  "app.signing_keys": SigningKeysTable;
}

// ---------------------------------------------------------------- emergency access and sharing (0700, 0701)
export interface EmergencyAccessGrantsTable {
  id: Generated<string>;
  patient_id: string;
  provider_id: string;
  reason: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  ended_at: Date | null;
  ended_by: string | null;
  review_outcome: "appropriate" | "inappropriate" | null;
  review_note: string | null;
  reviewed_at: Date | null;
  reviewed_by: string | null;
}

export type SharePart = "visits" | "prescriptions" | "documents" | "vitals";

export interface PatientSharesTable {
  id: Generated<string>;
  patient_id: string;
  created_by: string;
  recipient_label: string;
  parts: ColumnType<SharePart[], SharePart[], SharePart[]>;
  token_hash: string;
  code_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
  failed_attempts: Generated<number>;
  locked_at: Date | null;
  view_count: Generated<number>;
  last_viewed_at: Date | null;
}

export interface DB {
  emergency_access_grants: EmergencyAccessGrantsTable;
  patient_shares: PatientSharesTable;
}
