/**
 * The tables the access matrix (access-matrix.test.ts) enumerates. The schema guard
 * (schema-guard.test.ts) fails when a table in the application's schemas is missing here:
 * a new table comes with its policies and its rows in the matrix, in the same change.
 */
export const MATRIX_TABLES = [
  "auth.users", "providers", "patients", "care_team", "visits", "prescriptions", "documents",
  "appointments", "care_messages", "devices", "vitals", "invites", "audit_log", "storage.objects",
  "clinic_settings", "auth.mfa_factors", "auth.recovery_codes", "auth.rate_limits", "auth.sign_in_failures",
  "care_message_reads", "app.change_events", "app.change_events_horizon", "app.audit_chain_heads",
  "app.audit_checkpoints", "storage.buckets", "auth.sessions", "auth.refresh_tokens", "app.audit_read_stage",
  "app.mail_outbox", "auth.password_reset_tokens", "app.fhir_export_jobs",
  "app.signing_keys",
  "emergency_access_grants", "patient_shares", "auth.email_link_tokens",
  "app.smart_apps", "app.smart_grants", "app.oauth_payloads",
  "telehealth_calls", "app.call_signals", "vitals_counts",
] as const;
