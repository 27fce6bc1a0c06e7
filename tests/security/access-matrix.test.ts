/**
 * The access matrix: who may do what to whose rows, checked cell by cell at the SQL level
 * through withUser (so through RLS, column grants and triggers exactly as the app runs).
 *
 * How to read a row: table, operation, scope, then one column per actor.
 *   scope "own"     = rows of patient P, whose care team the team actors are on and whose
 *                     portal account is the "patient" actor;
 *   scope "foreign" = rows of patient Q, treated by a provider who is none of the actors.
 *   allow = the statement succeeds and sees / changes the seeded row (inserts: succeed);
 *   deny  = reads and updates/deletes see or change nothing, or fail with 42501
 *           (insufficient_privilege: RLS or a missing grant); inserts fail with 42501.
 *           Any other error (a constraint, a bug in the cell) fails the cell, so a "deny"
 *           can never pass for the wrong reason.
 * Each cell runs in its own transaction and is rolled back, so cells never affect each other.
 * docs/access-matrix.md says how to extend it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import type { CareTeamRole, ProviderCredential } from "@/core/db/schema";
import { asService, withUser, type Tx } from "@/core/db/with-user";
import type { Session } from "@/core/auth/session-types";
import { sha256Hex } from "@/core/auth/tokens";
import { withDevice } from "@/core/vitals/with-device";
import { MATRIX_TABLES as TABLES } from "./matrix-tables";

// adminNoMfa: an admin whose session is at aal1 (never enrolled, or a second session opened
// before enrolment). It acts as `authenticated` with no care team: it sees what every
// signed-in account sees (clinic settings, bucket names, the staff directory, its own MFA
// state) and no PHI; admin powers need aal2 in the session row (app.i_am_admin()). pending: a nurse on P's team whose session must enrol in MFA first
// (clinic setting); the test hands withUser that session WITHOUT the mfaPending flag, so it is
// the database (auth.enter_session, from the session row) that refuses it.
const ACTORS = ["admin", "attending", "nurse", "specialist", "outsider", "unverified", "patient", "otherPatient", "anon", "adminNoMfa", "pending"] as const;
type Actor = (typeof ACTORS)[number];
const OPS = ["select", "insert", "update", "delete"] as const;
type Op = (typeof OPS)[number];
type Scope = "own" | "foreign";

type Table = (typeof TABLES)[number];

const Y = "allow";
const N = "deny";
type Outcome = typeof Y | typeof N;
type Row = [Table, Op, Scope, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

// prettier-ignore
const MATRIX: Row[] = [
  // table            op        scope      admin attend nurse spec outsider unverif patient other anon  noMfa pending
  // Accounts. "own" = the patient's portal account, "foreign" = Q's. Inserts and updates: admins manage accounts.
  ["auth.users",      "select", "own",     Y,    N,     N,    N,   N,       N,      Y,      N,    N, N,    N],
  ["auth.users",      "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "insert", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "insert", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "update", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "update", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.users",      "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Providers. "own" = the attending's row, "foreign" = Q's provider. Verified staff see the staff directory;
  // patients see their own care team; only admins register and verify.
  ["providers",       "select", "own",     Y,    Y,     Y,    Y,   Y,       N,      Y,      N,    N, Y,    N],
  ["providers",       "select", "foreign", Y,    Y,     Y,    Y,   Y,       N,      N,      N,    N, Y,    N],
  ["providers",       "insert", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["providers",       "insert", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["providers",       "update", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["providers",       "update", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["providers",       "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["providers",       "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Patients. Insert "own" = register a new patient as oneself; "foreign" = claiming Q's provider as creator.
  ["patients",        "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["patients",        "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["patients",        "insert", "own",     Y,    Y,     Y,    Y,   Y,       N,      N,      N,    N, N,    N],
  ["patients",        "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["patients",        "update", "own",     Y,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["patients",        "update", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["patients",        "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["patients",        "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Care teams: admins assign; nobody adds themselves. Rows: the nurse's membership of P / Q's provider's.
  ["care_team",       "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["care_team",       "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "insert", "own",     Y,    Y,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "insert", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "update", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "update", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "delete", "own",     Y,    Y,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_team",       "delete", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Visits: the team records them as themselves; only the author amends (row authored by the attending).
  ["visits",          "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["visits",          "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "insert", "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "update", "own",     N,    Y,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["visits",          "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Prescriptions: attending and specialist members only.
  ["prescriptions",   "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["prescriptions",   "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "insert", "own",     N,    Y,     N,    Y,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "update", "own",     N,    Y,     N,    Y,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["prescriptions",   "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Documents: the team uploads and reviews; removal is a soft delete (an update), never a DELETE.
  ["documents",       "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["documents",       "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "insert", "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "update", "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["documents",       "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Appointments: the patient and the team request; the team manages; the patient may cancel (the update tried).
  ["appointments",    "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["appointments",    "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["appointments",    "insert", "own",     N,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["appointments",    "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["appointments",    "update", "own",     N,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["appointments",    "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["appointments",    "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["appointments",    "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Care messages: staff only, append-only.
  ["care_messages",   "select", "own",     Y,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "insert", "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_messages",   "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Devices: the patient registers and revokes their own wearables; the team sees them.
  ["devices",         "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["devices",         "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["devices",         "insert", "own",     N,    N,     N,    N,   N,       N,      Y,      N,    N, N,    N],
  ["devices",         "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["devices",         "update", "own",     N,    N,     N,    N,   N,       N,      Y,      N,    N, N,    N],
  ["devices",         "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["devices",         "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["devices",         "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Vitals: the team and the patient record them as themselves; samples are never edited.
  ["vitals",          "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["vitals",          "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals",          "insert", "own",     N,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["vitals",          "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals",          "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals",          "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals",          "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals",          "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // The samples per (patient, metric), kept by the vitals triggers (0930): read like the samples, written by nobody.
  // Rows: P's / Q's heart-rate counter.
  ["vitals_counts",   "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["vitals_counts",   "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "insert", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["vitals_counts",   "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Invites: the team or an admin invites; redemption is a service path.
  ["invites",         "select", "own",     Y,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "insert", "own",     Y,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "insert", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["invites",         "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // The audit trail: the patient reads their chart's rows, admins all; nobody writes it directly, nobody edits it.
  ["audit_log",       "select", "own",     Y,    N,     N,    N,   N,       N,      Y,      N,    N, N,    N],
  ["audit_log",       "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "insert", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["audit_log",       "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Stored objects (document bytes' metadata), under <patient_id>/: mirror the patient rules.
  ["storage.objects", "select", "own",     Y,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
  ["storage.objects", "select", "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "insert", "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.objects", "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Clinic settings: one row, read by every signed-in user, changed by admins. Scope: own = acting in one's
  // own name (updated_by = the actor), foreign = in someone else's name; a read names nobody (both scopes read it).
  ["clinic_settings", "select", "own",     Y,    Y,     Y,    Y,   Y,       Y,      Y,      Y,    N, Y,    N],
  ["clinic_settings", "select", "foreign", Y,    Y,     Y,    Y,   Y,       Y,      Y,      Y,    N, Y,    N],
  ["clinic_settings", "insert", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["clinic_settings", "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["clinic_settings", "update", "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["clinic_settings", "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["clinic_settings", "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["clinic_settings", "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // TOTP factors. own = the actor's own factor, foreign = Q's provider's. Whether MFA is on (user_id,
  // enabled_at) is readable by its owner and admins; the secret never (below the grid); writes are service-only.
  ["auth.mfa_factors", "select", "own",    Y,    Y,     Y,    Y,   Y,       Y,      Y,      Y,    N, Y,    N],
  ["auth.mfa_factors", "select", "foreign", Y,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "insert", "own",    N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "insert", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "update", "own",    N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "update", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "delete", "own",    N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.mfa_factors", "delete", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // MFA recovery codes (hashes): own = the actor's own codes, foreign = Q's provider's. Service-only, even for their owner.
  ["auth.recovery_codes", "select", "own",     N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "select", "foreign", N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "insert", "own",     N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "insert", "foreign", N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "update", "own",     N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "update", "foreign", N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "delete", "own",     N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.recovery_codes", "delete", "foreign", N, N,    N,    N,   N,       N,      N,      N,    N, N,    N],
  // Throttle counters and lockout state: keyed by HMACs, nobody's row; own / foreign = two seeded keys. Service-only.
  ["auth.rate_limits", "select", "own",     N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "select", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "insert", "own",     N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "insert", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "update", "own",     N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "update", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "delete", "own",     N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.rate_limits", "delete", "foreign", N,   N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "select", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "select", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "insert", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "insert", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "update", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "update", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "delete", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["auth.sign_in_failures", "delete", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  // Care-channel read markers. own = the actor's own marker on P (every actor has one seeded), foreign = Q's
  // provider's marker on Q. Team members keep their own markers on their patients (the insert is the app's upsert).
  ["care_message_reads", "select", "own",     N, Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "select", "foreign", N, N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "insert", "own",     N, Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "insert", "foreign", N, N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "update", "own",     N, Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "update", "foreign", N, N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "delete", "own",     N, N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["care_message_reads", "delete", "foreign", N, N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Realtime change capture (ids of changed PHI rows, for replay): service-only. own = an event about P, foreign = about Q.
  ["app.change_events", "select", "own",     N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "select", "foreign", N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "insert", "own",     N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "insert", "foreign", N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "update", "own",     N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "update", "foreign", N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "delete", "own",     N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events", "delete", "foreign", N,  N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Its pruning horizon: one row (both scopes), service-only.
  ["app.change_events_horizon", "select", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "select", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "insert", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "update", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "update", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.change_events_horizon", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  // The audit trail's hash-chain heads (own = chain 0, foreign = chain 1) and signed checkpoints (two seeded):
  // written by the audit writers and the checkpoint job only; admins see the trail, never these.
  ["app.audit_chain_heads", "select", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "select", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "insert", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "insert", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "update", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "update", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "delete", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_chain_heads", "delete", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "select", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "select", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "insert", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "insert", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "update", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "update", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "delete", "own",     N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  ["app.audit_checkpoints", "delete", "foreign", N, N,  N,    N,   N,       N,      N,      N,    N, N,    N],
  // Buckets: own = the documents bucket, foreign = a second bucket. Signed-in users see bucket names; nobody
  // creates, changes or removes buckets (migrations do).
  ["storage.buckets", "select", "own",     Y,    Y,     Y,    Y,   Y,       Y,      Y,      Y,    N, Y,    N],
  ["storage.buckets", "select", "foreign", Y,    Y,     Y,    Y,   Y,       Y,      Y,      Y,    N, Y,    N],
  ["storage.buckets", "insert", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.buckets", "insert", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.buckets", "update", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.buckets", "update", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.buckets", "delete", "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  ["storage.buckets", "delete", "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
  // Sessions and refresh tokens (own = the patient actor's session, foreign = Q's patient's), and read records
  // not yet on a chain (own / foreign = staged reads of P / Q): service-only, for every actor.
  ["auth.sessions", "select", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "insert", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "update", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "delete", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.sessions", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "select", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "insert", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "update", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "delete", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.refresh_tokens", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "select", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "insert", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "update", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "delete", "own", N, N, N, N, N, N, N, N, N, N, N],
  ["app.audit_read_stage", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // The mail outbox (two seeded mails): written by the service path only (enqueueMail inside the event's
  // transaction, the worker); admins at aal2 read who was mailed and how delivery went (not the sealed body).
  ["app.mail_outbox", "select", "own",     Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "select", "foreign", Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "insert", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "update", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "update", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.mail_outbox", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  // Password-reset tokens (own = one for P's portal account, foreign = one for Q's): the service path only.
  ["auth.password_reset_tokens", "select", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "insert", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "update", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.password_reset_tokens", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // FHIR export jobs (own = one started by the attending, foreign = one of Q's provider): each user sees and cancels
  // only their own; anyone signed in may start one as themselves (it exports only what RLS lets them read); the runner's
  // bookkeeping and the expiry sweep are on the service path.
  ["app.fhir_export_jobs", "select", "own",     N, Y, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "insert", "own",     Y, Y, Y, Y, Y, Y, Y, Y, N, Y, N],
  ["app.fhir_export_jobs", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "update", "own",     N, Y, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.fhir_export_jobs", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // The clinic's document-signing keys (own / foreign = two seeded key rows): the service path only.
  ["app.signing_keys", "select", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "insert", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "update", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.signing_keys", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // SMART on FHIR (0900). Apps: "own" = an app P's patient connected, "foreign" = one Q's patient connected; admins
  // (aal2) manage the registry, register in their own name only; a user reads the apps they connected.
  ["app.smart_apps", "select", "own",     Y, N, N, N, N, N, Y, N, N, N, N],
  ["app.smart_apps", "select", "foreign", Y, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "insert", "own",     Y, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "update", "own",     Y, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "update", "foreign", Y, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_apps", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // Connections: "own" = P's patient's, "foreign" = Q's patient's. The user sees and removes their own; the
  // service path writes them (consent, revocation).
  ["app.smart_grants", "select", "own",     N, N, N, N, N, N, Y, N, N, N, N],
  ["app.smart_grants", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_grants", "insert", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_grants", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_grants", "update", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_grants", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.smart_grants", "delete", "own",     N, N, N, N, N, N, Y, N, N, N, N],
  ["app.smart_grants", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // The OAuth server's codes and tokens (hashed ids): service path only.
  ["app.oauth_payloads", "select", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "insert", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "update", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["app.oauth_payloads", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // Email-link tokens (verification, staff invitations; own = one for P's account, foreign = Q's): the service path
  // only (admins issue staff invitations through app.issue_staff_invite, which checks app.i_am_admin()).
  ["auth.email_link_tokens", "select", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "select", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "insert", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "insert", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "update", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "update", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "delete", "own",     N, N, N, N, N, N, N, N, N, N, N],
  ["auth.email_link_tokens", "delete", "foreign", N, N, N, N, N, N, N, N, N, N, N],
  // Emergency access grants (own = an ended grant on P held by the outsider, foreign = an ended grant on Q held by
  // Q's provider): holders see their own, admins see and review all; opened and ended only through the functions
  // (app.open_emergency_access / end_emergency_access). What an ACTIVE grant opens: tests/security/emergency-access.test.ts.
  ["emergency_access_grants", "select", "own",     Y, N, N,  N,   Y,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "select", "foreign", Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "insert", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "update", "own",     Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "update", "foreign", Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["emergency_access_grants", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  // Patient shares (own = a share of P by P's portal account, foreign = one of Q by Q's): the patient creates,
  // sees and revokes their own; admins read; the recipient opens one only through app.open_share (tests/sharing).
  ["patient_shares", "select", "own",     Y, N, N,  N,   N,       N,      Y,      N,    N, N,    N],
  ["patient_shares", "select", "foreign", Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["patient_shares", "insert", "own",     N, N, N,  N,   N,       N,      Y,      N,    N, N,    N],
  ["patient_shares", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["patient_shares", "update", "own",     N, N, N,  N,   N,       N,      Y,      N,    N, N,    N],
  ["patient_shares", "update", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["patient_shares", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["patient_shares", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  // Telehealth calls (own = an open call of P's telehealth appointment with the attending, foreign = one of Q's):
  // whoever reads P's chart reads its calls; they are started, joined and ended only through the functions
  // (app.start_call / send_call_signal / end_call, tests/telehealth); the call's provider links the visit it became.
  ["telehealth_calls", "select", "own",     Y, Y, Y,  Y,   N,       N,      Y,      N,    N, N,    N],
  ["telehealth_calls", "select", "foreign", Y, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "insert", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "update", "own",     N, Y, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "update", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["telehealth_calls", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  // The signaling relay (own = a frame of P's call, foreign = one of Q's): the service path only (app.send_call_signal
  // writes it after the call_role check; the hubs read it).
  ["app.call_signals", "select", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "select", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "insert", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "insert", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "update", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "update", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "delete", "own",     N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
  ["app.call_signals", "delete", "foreign", N, N, N,  N,   N,       N,      N,      N,    N, N,    N],
];

// ---------------------------------------------------------------------------------- the world

interface Rows {
  [table: string]: string;
}
interface World {
  users: Record<Exclude<Actor, "anon">, TestUser>;
  /** Q's provider (attending of Q), a spare verified provider on no team, and account-only users. */
  foreignDoc: TestUser;
  foreignPatientUser: TestUser;
  spare: TestUser;
  pendingProvider: TestUser;
  P: string;
  Q: string;
  R: string;
  own: Rows;
  foreign: Rows;
}

const hex = (n: number) => randomBytes(n).toString("hex");

async function seedRows(patient: string, author: TestUser, nurseRowProvider: string, portalUser: string, grantHolder: string): Promise<Rows> {
  return serviceQuery(async (tx) => {
    const one = async (q: ReturnType<typeof sql<{ id: string }>>) => String((await q.execute(tx)).rows[0].id);
    const visit = await one(sql<{ id: string }>`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint, diagnosis)
      values (${patient}, ${author.id}, now() - interval '2 days', 'Cough', 'Bronchitis') returning id`);
    const device = await one(sql<{ id: string }>`insert into public.devices (patient_id, name, token_hash)
      values (${patient}, 'Watch', ${hex(32)}) returning id`);
    const objectName = `${patient}/${randomUUID()}`;
    return {
      "auth.users": portalUser,
      providers: author.id,
      patients: patient,
      care_team: await one(sql<{ id: string }>`select id from public.care_team where patient_id = ${patient} and provider_id = ${nurseRowProvider}`),
      visits: visit,
      prescriptions: await one(sql<{ id: string }>`insert into public.prescriptions (visit_id, patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${visit}, ${patient}, ${author.id}, 'Amoxicillin', '500 mg', 'three times daily', current_date) returning id`),
      documents: await one(sql<{ id: string }>`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type, size_bytes, sha256)
        values (${patient}, ${author.id}, ${objectName}, 'lab_result', 'application/pdf', 1234, ${hex(32)}) returning id`),
      appointments: await one(sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by)
        values (${patient}, ${author.id}, now() + interval '3 days', now() + interval '3 days 30 minutes', 'Follow-up', ${portalUser}) returning id`),
      care_messages: await one(sql<{ id: string }>`insert into public.care_messages (patient_id, sender_id, message)
        values (${patient}, ${author.id}, 'Please check the labs') returning id`),
      devices: device,
      vitals: await one(sql<{ id: string }>`insert into public.vitals (patient_id, device_id, metric, value, unit, recorded_at)
        values (${patient}, ${device}, 'heart_rate', 72, 'bpm', now() - interval '1 hour') returning id::text`),
      vitals_counts: patient,
      invites: await one(sql<{ id: string }>`insert into public.invites (patient_id, code_hash, created_by, expires_at)
        values (${patient}, ${hex(32)}, ${author.id}, now() + interval '7 days') returning id`),
      // through the audit read contract (app.record_read), as the data layer writes it
      audit_log: await (async () => {
        await sql`select app.record_read('patients', array[${patient}]::uuid[], array[${patient}]::text[])`.execute(tx);
        return one(sql<{ id: string }>`select max(id)::text as id from public.audit_log where patient_id = ${patient} and action = 'read'`);
      })(),
      "storage.objects": await one(sql<{ id: string }>`insert into storage.objects (bucket_id, name, owner)
        values ('medical-documents', ${objectName}, ${author.id}) returning id`),
      // single rows and keyed rows: see the comments above their rows in MATRIX
      clinic_settings: "true",
      "auth.mfa_factors": author.id,
      "auth.recovery_codes": author.id,
      "auth.rate_limits": await one(sql<{ id: string }>`insert into auth.rate_limits (bucket, key, hits)
        values ('sign_in', ${hex(16)}, 3) returning key as id`),
      "auth.sign_in_failures": await one(sql<{ id: string }>`insert into auth.sign_in_failures (email_key, failures)
        values (${hex(16)}, 2) returning email_key as id`),
      care_message_reads: author.id,
      "app.change_events": await one(sql<{ id: string }>`insert into app.change_events (table_name, op, record_ids, patient_id)
        values ('visits', 'INSERT', array[${visit}], ${patient}) returning id::text`),
      "app.change_events_horizon": "1",
      "app.audit_chain_heads": "", // set by seedWorld
      "app.audit_checkpoints": await one(sql<{ id: string }>`insert into app.audit_checkpoints (created_at, chain_id, chain_seq, hash, hmac)
        values (now(), 31, 1, ${hex(32)}, ${hex(32)}) returning id::text`),
      "storage.buckets": "", // set by seedWorld
      "app.mail_outbox": await one(sql<{ id: string }>`insert into app.mail_outbox (kind, to_address, subject, body_sealed)
        values ('password_changed', 'owner@home.test', 'Your password was changed', 'v1.sealed') returning id`),
      "auth.password_reset_tokens": await one(sql<{ id: string }>`insert into auth.password_reset_tokens (token_hash, user_id, expires_at)
        values (${hex(32)}, ${portalUser}, now() + interval '30 minutes') returning token_hash as id`),
      "app.fhir_export_jobs": await one(sql<{ id: string }>`insert into app.fhir_export_jobs (owner_id, level, types, request)
        values (${author.id}, 'patient', array['Patient'], 'https://clinic.test/fhir/R4/Patient/$export') returning id`),
      "app.signing_keys": await one(sql<{ id: string }>`insert into app.signing_keys (purpose, certificate_pem, private_key_sealed)
        values (${`matrix_${hex(4)}`}, '-----BEGIN CERTIFICATE-----', 'v1.sealed') returning purpose as id`),
      "auth.email_link_tokens": await one(sql<{ id: string }>`insert into auth.email_link_tokens (token_hash, user_id, purpose, expires_at)
        values (${hex(32)}, ${portalUser}, 'verify_email', now() + interval '1 day') returning token_hash as id`),
      // an app the portal user connected: its registry row, the connection (with its app session) and a stored token
      ...(await (async () => {
        const clientId = `matrix_${hex(8)}`;
        await sql`insert into app.smart_apps (client_id, name, redirect_uris, scopes, created_by)
          values (${clientId}, 'Matrix App', array['https://app.test/cb'], array['patient/*.rs'], ${author.id})`.execute(tx);
        const appSession = await one(sql<{ id: string }>`insert into auth.sessions (user_id, aal, expires_at)
          values (${portalUser}, 'aal1', now() + interval '1 day') returning id`);
        const grantId = `grant_${hex(8)}`;
        await sql`insert into app.smart_grants (user_id, client_id, grant_id, session_id, scopes, patient_id)
          values (${portalUser}, ${clientId}, ${grantId}, ${appSession}, array['patient/*.rs'], ${patient})`.execute(tx);
        const idHash = hex(32);
        await sql`insert into app.oauth_payloads (model, id_hash, payload, grant_id, expires_at)
          values ('AccessToken', ${idHash}, '{}', ${grantId}, now() + interval '1 hour')`.execute(tx);
        return { "app.smart_apps": clientId, "app.smart_grants": grantId, "app.oauth_payloads": idHash };
      })()),
      // an ENDED grant: it opens nothing, so every other cell is unaffected
      emergency_access_grants: await one(sql<{ id: string }>`insert into public.emergency_access_grants (patient_id, provider_id, reason, created_at, expires_at, ended_at)
        values (${patient}, ${grantHolder}, 'Unconscious in the emergency department', now() - interval '2 hours', now() - interval '1 hour', now() - interval '90 minutes') returning id`),
      patient_shares: await one(sql<{ id: string }>`insert into public.patient_shares (patient_id, created_by, recipient_label, parts, token_hash, code_hash, expires_at)
        values (${patient}, ${portalUser}, 'Dr. Outside', array['visits'], ${hex(32)}, ${hex(32)}, now() + interval '7 days') returning id`),
      ...(await (async () => {
        const appt = await one(sql<{ id: string }>`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, reason, requested_by, status, visit_type)
          values (${patient}, ${author.id}, now() + interval '5 days', now() + interval '5 days 30 minutes', 'Video check-in', ${author.id}, 'confirmed', 'telehealth') returning id`);
        return {
          telehealth_calls: await one(sql<{ id: string }>`insert into public.telehealth_calls (appointment_id, patient_id, provider_id, started_by, joined)
            values (${appt}, ${patient}, ${author.id}, ${author.id}, array[${author.id}]::uuid[]) returning id`),
          "app.call_signals": await one(sql<{ id: string }>`insert into app.call_signals (appointment_id, sender_id, kind, payload)
            values (${appt}, ${author.id}, 'offer', '{"sdp":"v=0"}') returning id::text`),
        };
      })()),
    };
  });
}

async function seedWorld(): Promise<World> {
  const admin = await createUser("admin");
  const attending = await createUser("provider");
  const nurse = await createUser("provider", { credential: "registered_nurse" });
  const specialist = await createUser("provider");
  const outsider = await createUser("provider");
  const unverified = await createUser("provider", { verified: false });
  const patient = await createUser("patient");
  const otherPatient = await createUser("patient");
  const foreignDoc = await createUser("provider");
  const foreignPatientUser = await createUser("patient");
  const spare = await createUser("provider");
  // an account that signed up as a provider but has no providers row yet (admin inserts it)
  const pendingProvider = await createUser("patient");
  const adminNoMfa = await createUser("admin", { aal: "aal1" });
  const pending = await createUser("provider", { credential: "registered_nurse" });

  // P: registered by the attending (who joins by trigger), treated by the team, linked to "patient".
  const P = await createPatient({ createdBy: attending.id, userId: patient.id });
  await addToCareTeam(P, nurse.id, "nurse");
  await addToCareTeam(P, specialist.id, "specialist");
  await addToCareTeam(P, unverified.id, "attending");
  await addToCareTeam(P, pending.id, "nurse");
  await serviceQuery((tx) => sql`update auth.sessions set mfa_pending = true where id = ${pending.session.sessionId}`.execute(tx));
  // Q: treated only by foreignDoc; its portal account is no actor.
  const Q = await createPatient({ createdBy: foreignDoc.id, userId: foreignPatientUser.id });
  // R: the other patient's own record, registered by the admin, treated by nobody.
  const R = await createPatient({ createdBy: admin.id, userId: otherPatient.id });

  const own = await seedRows(P, attending, nurse.id, patient.id, outsider.id);
  const foreign = await seedRows(Q, foreignDoc, foreignDoc.id, foreignPatientUser.id, foreignDoc.id);
  own["app.audit_chain_heads"] = "0";
  foreign["app.audit_chain_heads"] = "1";
  own["storage.buckets"] = "medical-documents";
  foreign["storage.buckets"] = "archive";
  // Rows each actor owns: a TOTP factor and recovery codes, and a read marker on P's channel (Q's provider: on Q).
  const actors = [admin, attending, nurse, specialist, outsider, unverified, patient, otherPatient, adminNoMfa, pending];
  await serviceQuery(async (tx) => {
    for (const u of [...actors, foreignDoc]) {
      await sql`insert into auth.mfa_factors (user_id, secret_enc, enabled_at) values (${u.id}, ${`enc:${hex(16)}`}, now())`.execute(tx);
      await sql`insert into auth.recovery_codes (user_id, code_hash) values (${u.id}, ${hex(32)})`.execute(tx);
    }
    for (const u of actors) {
      await sql`insert into public.care_message_reads (user_id, patient_id, last_read_at) values (${u.id}, ${P}, now() - interval '1 hour')`.execute(tx);
    }
    await sql`insert into public.care_message_reads (user_id, patient_id, last_read_at) values (${foreignDoc.id}, ${Q}, now() - interval '1 hour')`.execute(tx);
    await sql`insert into storage.buckets (id, name) values ('archive', 'archive')`.execute(tx);
  });
  // Sessions and their refresh tokens (the patient actor's / Q's patient's), and a staged read of P / Q, seeded
  // last and without serviceQuery (which drains the stage).
  own["auth.sessions"] = patient.session.sessionId;
  foreign["auth.sessions"] = foreignPatientUser.session.sessionId;
  await asService("test seeding", async (tx) => {
    for (const [rows, patientId] of [[own, P], [foreign, Q]] as const) {
      rows["auth.refresh_tokens"] = String((await sql<{ id: string }>`
        select id::text as id from auth.refresh_tokens where session_id = ${rows["auth.sessions"]} limit 1`.execute(tx)).rows[0].id);
      await sql`select app.stage_read('patients', array[${patientId}]::uuid[], array[${patientId}]::text[], null)`.execute(tx);
      rows["app.audit_read_stage"] = String((await sql<{ id: string }>`
        select max(id)::text as id from app.audit_read_stage where patient_id = ${patientId}`.execute(tx)).rows[0].id);
    }
  });
  return {
    users: { admin, attending, nurse, specialist, outsider, unverified, patient, otherPatient, adminNoMfa, pending },
    foreignDoc,
    foreignPatientUser,
    spare,
    pendingProvider,
    P,
    Q,
    R,
    own,
    foreign,
  };
}

// ---------------------------------------------------------------------------------- the cells

interface Cell {
  w: World;
  scope: Scope;
  /** The actor's user id; anonymous requests use the attending's so that only access decides. */
  me: string;
  patient: string;
  row: string;
  /** The provider of the scope's patient: the attending for P, foreignDoc for Q. */
  teamProvider: string;
}

type Run = (tx: Tx, c: Cell) => Promise<number>;

/** For tables whose "own" row is the actor's own (factors, recovery codes, read markers): the actor, else the seeded row's user. */
const mine = (c: Cell) => (c.scope === "own" ? c.me : c.row);

const affected = async (tx: Tx, q: ReturnType<typeof sql>) => Number((await q.execute(tx)).numAffectedRows ?? 0);
const count = async (tx: Tx, q: ReturnType<typeof sql>) => (await q.execute(tx)).rows.length;

/** Every statement a cell may try, per table and operation. Keep each one the plainest form of the operation. */
const STATEMENTS: Record<Table, Record<Op, Run>> = {
  "auth.users": {
    select: (tx, c) => count(tx, sql`select id, email, full_name from auth.users where id = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into auth.users (email, password_hash, role, full_name)
      values (${`new-${hex(4)}@example.test`}, 'x', 'provider', 'New Colleague')`),
    update: (tx, c) => affected(tx, sql`update auth.users set full_name = 'Renamed' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.users where id = ${c.row}`),
  },
  providers: {
    select: (tx, c) => count(tx, sql`select user_id from public.providers where user_id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.providers (user_id, license_number, specialty)
      values (${c.w.pendingProvider.id}, 'LIC-NEW', 'Cardiology')`),
    update: (tx, c) => affected(tx, sql`update public.providers set is_verified = false, verified_at = null where user_id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.providers where user_id = ${c.row}`),
  },
  patients: {
    select: (tx, c) => count(tx, sql`select id, first_name, last_name from public.patients where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn)
      values (${c.scope === "own" ? c.me : c.w.foreignDoc.id}, 'New', 'Patient', '1990-01-01', 'male', ${`MRN-${hex(6)}`})`),
    update: (tx, c) => affected(tx, sql`update public.patients set address = '1 New Street' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.patients where id = ${c.row}`),
  },
  care_team: {
    select: (tx, c) => count(tx, sql`select id from public.care_team where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.care_team (patient_id, provider_id, role, added_by)
      values (${c.patient}, ${c.w.spare.id}, 'nurse', ${c.me})`),
    update: (tx, c) => affected(tx, sql`update public.care_team set role = 'specialist' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.care_team where id = ${c.row}`),
  },
  visits: {
    select: (tx, c) => count(tx, sql`select id, diagnosis from public.visits where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint)
      values (${c.patient}, ${c.me}, now(), 'Headache')`),
    update: (tx, c) => affected(tx, sql`update public.visits set diagnosis = 'Amended' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.visits where id = ${c.row}`),
  },
  prescriptions: {
    select: (tx, c) => count(tx, sql`select id, medication from public.prescriptions where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
      values (${c.patient}, ${c.me}, 'Ibuprofen', '200 mg', 'as needed', current_date)`),
    update: (tx, c) => affected(tx, sql`update public.prescriptions set is_active = false where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.prescriptions where id = ${c.row}`),
  },
  documents: {
    select: (tx, c) => count(tx, sql`select id, description from public.documents where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type, size_bytes, sha256)
      values (${c.patient}, ${c.me}, ${`${c.patient}/${randomUUID()}`}, 'referral', 'image/png', 99, ${hex(32)})`),
    update: (tx, c) => affected(tx, sql`update public.documents set description = 'Reviewed copy' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.documents where id = ${c.row}`),
  },
  appointments: {
    select: (tx, c) => count(tx, sql`select id, status from public.appointments where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, reason, requested_by)
      values (${c.patient}, ${c.teamProvider}, now() + interval '10 days', now() + interval '10 days 20 minutes', 'requested', 'Check-up', ${c.me})`),
    update: (tx, c) => affected(tx, sql`update public.appointments set status = 'cancelled', cancel_reason = 'Clinic closed' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.appointments where id = ${c.row}`),
  },
  care_messages: {
    select: (tx, c) => count(tx, sql`select id, message from public.care_messages where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.care_messages (patient_id, sender_id, message)
      values (${c.patient}, ${c.me}, 'New message')`),
    update: (tx, c) => affected(tx, sql`update public.care_messages set message = 'Edited' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.care_messages where id = ${c.row}`),
  },
  devices: {
    select: (tx, c) => count(tx, sql`select id, name from public.devices where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.devices (patient_id, name, token_hash)
      values (${c.patient}, 'Ring', ${hex(32)})`),
    update: (tx, c) => affected(tx, sql`update public.devices set revoked_at = now() where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.devices where id = ${c.row}`),
  },
  vitals: {
    select: (tx, c) => count(tx, sql`select id, value from public.vitals where id = ${c.row}::bigint`),
    insert: (tx, c) => affected(tx, sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at)
      values (${c.patient}, ${c.me}, 'spo2', 97, '%', now())`),
    update: (tx, c) => affected(tx, sql`update public.vitals set value = 1 where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from public.vitals where id = ${c.row}::bigint`),
  },
  vitals_counts: {
    select: (tx, c) => count(tx, sql`select samples from public.vitals_counts where patient_id = ${c.row}::uuid and metric = 'heart_rate'`),
    insert: (tx, c) => affected(tx, sql`insert into public.vitals_counts (patient_id, metric, samples) values (${c.patient}, 'weight', 1)`),
    update: (tx, c) => affected(tx, sql`update public.vitals_counts set samples = 0 where patient_id = ${c.row}::uuid and metric = 'heart_rate'`),
    delete: (tx, c) => affected(tx, sql`delete from public.vitals_counts where patient_id = ${c.row}::uuid and metric = 'heart_rate'`),
  },
  invites: {
    select: (tx, c) => count(tx, sql`select id, expires_at from public.invites where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.invites (patient_id, code_hash, created_by, expires_at)
      values (${c.patient}, ${hex(32)}, ${c.me}, now() + interval '7 days')`),
    update: (tx, c) => affected(tx, sql`update public.invites set expires_at = now() + interval '30 days' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.invites where id = ${c.row}`),
  },
  audit_log: {
    select: (tx, c) => count(tx, sql`select id, action from public.audit_log where id = ${c.row}::bigint`),
    insert: (tx, c) => affected(tx, sql`insert into public.audit_log (actor_id, action, table_name, patient_id)
      values (${c.me}, 'read', 'visits', ${c.patient})`),
    update: (tx, c) => affected(tx, sql`update public.audit_log set action = 'tampered' where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from public.audit_log where id = ${c.row}::bigint`),
  },
  clinic_settings: {
    select: (tx) => count(tx, sql`select id, require_mfa_for_providers from public.clinic_settings`),
    insert: (tx, c) => affected(tx, sql`insert into public.clinic_settings (id, updated_by) values (true, ${c.me})`),
    update: (tx, c) => affected(tx, sql`update public.clinic_settings set require_mfa_for_providers = true, updated_at = now(),
      updated_by = ${c.scope === "own" ? c.me : c.w.foreignDoc.id}`),
    delete: (tx) => affected(tx, sql`delete from public.clinic_settings`),
  },
  "auth.mfa_factors": {
    select: (tx, c) => count(tx, sql`select user_id, enabled_at from auth.mfa_factors where user_id = ${mine(c)}`),
    insert: (tx, c) => affected(tx, sql`insert into auth.mfa_factors (user_id, secret_enc) values (${c.w.spare.id}, 'enc:new')`),
    update: (tx, c) => affected(tx, sql`update auth.mfa_factors set enabled_at = null where user_id = ${mine(c)}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.mfa_factors where user_id = ${mine(c)}`),
  },
  "auth.recovery_codes": {
    select: (tx, c) => count(tx, sql`select id, used_at from auth.recovery_codes where user_id = ${mine(c)}`),
    insert: (tx, c) => affected(tx, sql`insert into auth.recovery_codes (user_id, code_hash) values (${mine(c)}, ${hex(32)})`),
    update: (tx, c) => affected(tx, sql`update auth.recovery_codes set used_at = null where user_id = ${mine(c)}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.recovery_codes where user_id = ${mine(c)}`),
  },
  "auth.rate_limits": {
    select: (tx, c) => count(tx, sql`select hits from auth.rate_limits where bucket = 'sign_in' and key = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into auth.rate_limits (bucket, key, hits) values ('sign_in', ${hex(16)}, 0)`),
    update: (tx, c) => affected(tx, sql`update auth.rate_limits set hits = 0 where bucket = 'sign_in' and key = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.rate_limits where bucket = 'sign_in' and key = ${c.row}`),
  },
  "auth.sign_in_failures": {
    select: (tx, c) => count(tx, sql`select failures from auth.sign_in_failures where email_key = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into auth.sign_in_failures (email_key) values (${hex(16)})`),
    update: (tx, c) => affected(tx, sql`update auth.sign_in_failures set failures = 0, locked_until = null where email_key = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.sign_in_failures where email_key = ${c.row}`),
  },
  care_message_reads: {
    select: (tx, c) => count(tx, sql`select last_read_at from public.care_message_reads where user_id = ${mine(c)} and patient_id = ${c.patient}`),
    // the app's own statement (markRead): every actor already has a marker on P, so a plain insert would only conflict
    insert: (tx, c) => affected(tx, sql`insert into public.care_message_reads (user_id, patient_id, last_read_at) values (${c.me}, ${c.patient}, now())
      on conflict (user_id, patient_id) do update set last_read_at = greatest(public.care_message_reads.last_read_at, excluded.last_read_at)`),
    update: (tx, c) => affected(tx, sql`update public.care_message_reads set last_read_at = now() where user_id = ${mine(c)} and patient_id = ${c.patient}`),
    delete: (tx, c) => affected(tx, sql`delete from public.care_message_reads where user_id = ${mine(c)} and patient_id = ${c.patient}`),
  },
  "app.change_events": {
    select: (tx, c) => count(tx, sql`select id, record_ids from app.change_events where id = ${c.row}::bigint`),
    insert: (tx, c) => affected(tx, sql`insert into app.change_events (table_name, op, record_ids, patient_id)
      values ('visits', 'UPDATE', array[${c.w[c.scope].visits}], ${c.patient})`),
    update: (tx, c) => affected(tx, sql`update app.change_events set record_ids = array['forged'] where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from app.change_events where id = ${c.row}::bigint`),
  },
  "app.change_events_horizon": {
    select: (tx) => count(tx, sql`select pruned_through from app.change_events_horizon where id = 1`),
    insert: (tx) => affected(tx, sql`insert into app.change_events_horizon (id, pruned_through) values (1, 0)`),
    update: (tx) => affected(tx, sql`update app.change_events_horizon set pruned_through = 0 where id = 1`),
    delete: (tx) => affected(tx, sql`delete from app.change_events_horizon where id = 1`),
  },
  "app.audit_chain_heads": {
    select: (tx, c) => count(tx, sql`select seq, hash from app.audit_chain_heads where chain_id = ${Number(c.row)}`),
    insert: (tx) => affected(tx, sql`insert into app.audit_chain_heads (chain_id) values (32)`),
    update: (tx, c) => affected(tx, sql`update app.audit_chain_heads set seq = 0, hash = repeat('0', 64) where chain_id = ${Number(c.row)}`),
    delete: (tx, c) => affected(tx, sql`delete from app.audit_chain_heads where chain_id = ${Number(c.row)}`),
  },
  "app.audit_checkpoints": {
    select: (tx, c) => count(tx, sql`select chain_id, hash from app.audit_checkpoints where id = ${c.row}::bigint`),
    insert: (tx) => affected(tx, sql`insert into app.audit_checkpoints (created_at, chain_id, chain_seq, hash, hmac)
      values (now(), 30, 1, ${hex(32)}, ${hex(32)})`),
    update: (tx, c) => affected(tx, sql`update app.audit_checkpoints set hmac = ${hex(32)} where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from app.audit_checkpoints where id = ${c.row}::bigint`),
  },
  "auth.sessions": {
    select: (tx, c) => count(tx, sql`select id, user_id, last_seen_at from auth.sessions where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into auth.sessions (user_id, aal, expires_at) values (${c.me}, 'aal2', now() + interval '1 hour')`),
    update: (tx, c) => affected(tx, sql`update auth.sessions set aal = 'aal2', mfa_pending = false where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.sessions where id = ${c.row}`),
  },
  "auth.refresh_tokens": {
    select: (tx, c) => count(tx, sql`select id, token_hash from auth.refresh_tokens where id = ${c.row}::bigint`),
    insert: (tx, c) => affected(tx, sql`insert into auth.refresh_tokens (session_id, token_hash) values (${c.w[c.scope]["auth.sessions"]}, ${hex(32)})`),
    update: (tx, c) => affected(tx, sql`update auth.refresh_tokens set spent_at = null where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from auth.refresh_tokens where id = ${c.row}::bigint`),
  },
  "app.audit_read_stage": {
    select: (tx, c) => count(tx, sql`select id, actor_id from app.audit_read_stage where id = ${c.row}::bigint`),
    insert: (tx, c) => affected(tx, sql`insert into app.audit_read_stage (id, actor_id, actor_role, table_name, patient_id, details)
      values (-1, ${c.me}, 'provider', 'patients', ${c.patient}, '{}')`),
    update: (tx, c) => affected(tx, sql`update app.audit_read_stage set details = '{}' where id = ${c.row}::bigint`),
    delete: (tx, c) => affected(tx, sql`delete from app.audit_read_stage where id = ${c.row}::bigint`),
  },
  "app.mail_outbox": {
    select: (tx, c) => count(tx, sql`select id, to_address, status from app.mail_outbox where id = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into app.mail_outbox (kind, to_address, subject, body_sealed)
      values ('password_reset', 'victim@home.test', 'Reset your password', 'v1.forged')`),
    update: (tx, c) => affected(tx, sql`update app.mail_outbox set to_address = 'thief@away.test' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.mail_outbox where id = ${c.row}`),
  },
  "auth.password_reset_tokens": {
    select: (tx, c) => count(tx, sql`select user_id, expires_at from auth.password_reset_tokens where token_hash = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into auth.password_reset_tokens (token_hash, user_id, expires_at)
      values (${hex(32)}, ${c.w.users.patient.id}, now() + interval '1 day')`),
    update: (tx, c) => affected(tx, sql`update auth.password_reset_tokens set used_at = null, expires_at = now() + interval '1 day' where token_hash = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.password_reset_tokens where token_hash = ${c.row}`),
  },
  "app.fhir_export_jobs": {
    select: (tx, c) => count(tx, sql`select id, status, output from app.fhir_export_jobs where id = ${c.row}`),
    // "own": a job as oneself; "foreign": a job in another user's name
    insert: (tx, c) => affected(tx, sql`insert into app.fhir_export_jobs (owner_id, level, types, request)
      values (${c.scope === "own" ? c.me : c.w.foreignDoc.id}, 'patient', array['Patient'], 'https://clinic.test/fhir/R4/Patient/$export')`),
    update: (tx, c) => affected(tx, sql`update app.fhir_export_jobs set status = 'cancelled' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.fhir_export_jobs where id = ${c.row}`),
  },
  "app.smart_apps": {
    select: (tx, c) => count(tx, sql`select client_id, name, scopes from app.smart_apps where client_id = ${c.row}`),
    // "own": registered in one's own name; "foreign": in another user's
    insert: (tx, c) => affected(tx, sql`insert into app.smart_apps (client_id, name, redirect_uris, scopes, created_by)
      values (${`matrix_new_${hex(8)}`}, 'New App', array['https://new.test/cb'], array['patient/*.rs'], ${c.scope === "own" ? c.me : c.w.foreignDoc.id})`),
    update: (tx, c) => affected(tx, sql`update app.smart_apps set disabled = true where client_id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.smart_apps where client_id = ${c.row}`),
  },
  "app.smart_grants": {
    select: (tx, c) => count(tx, sql`select grant_id, scopes, patient_id from app.smart_grants where grant_id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into app.smart_grants (user_id, client_id, grant_id, session_id, scopes)
      values (${c.scope === "own" ? c.me : c.w.foreignPatientUser.id}, ${c.w[c.scope]["app.smart_apps"]}, ${`grant_${hex(8)}`}, ${c.w[c.scope]["auth.sessions"]}, array['user/*.rs'])`),
    update: (tx, c) => affected(tx, sql`update app.smart_grants set scopes = array['user/*.rs'] where grant_id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.smart_grants where grant_id = ${c.row}`),
  },
  "app.oauth_payloads": {
    select: (tx, c) => count(tx, sql`select payload, grant_id from app.oauth_payloads where id_hash = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into app.oauth_payloads (model, id_hash, payload) values ('AccessToken', ${hex(32)}, '{}')`),
    update: (tx, c) => affected(tx, sql`update app.oauth_payloads set expires_at = now() + interval '1 year' where id_hash = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.oauth_payloads where id_hash = ${c.row}`),
  },
  "app.signing_keys": {
    select: (tx, c) => count(tx, sql`select purpose, private_key_sealed from app.signing_keys where purpose = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into app.signing_keys (purpose, certificate_pem, private_key_sealed)
      values (${`forged_${hex(4)}`}, '-----BEGIN CERTIFICATE-----', 'v1.forged')`),
    update: (tx, c) => affected(tx, sql`update app.signing_keys set private_key_sealed = 'v1.swapped' where purpose = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.signing_keys where purpose = ${c.row}`),
  },
  "auth.email_link_tokens": {
    select: (tx, c) => count(tx, sql`select user_id, expires_at from auth.email_link_tokens where token_hash = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into auth.email_link_tokens (token_hash, user_id, purpose, expires_at)
      values (${hex(32)}, ${c.w.users.patient.id}, 'staff_invite', now() + interval '1 day')`),
    update: (tx, c) => affected(tx, sql`update auth.email_link_tokens set used_at = null, expires_at = now() + interval '1 day' where token_hash = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from auth.email_link_tokens where token_hash = ${c.row}`),
  },
  emergency_access_grants: {
    select: (tx, c) => count(tx, sql`select id, reason from public.emergency_access_grants where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.emergency_access_grants (patient_id, provider_id, reason, expires_at)
      values (${c.patient}, ${c.me}, 'Forged without the function', now() + interval '1 hour')`),
    update: (tx, c) => affected(tx, sql`update public.emergency_access_grants
      set review_outcome = 'appropriate', review_note = 'Checked', reviewed_at = now(), reviewed_by = ${c.me} where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.emergency_access_grants where id = ${c.row}`),
  },
  patient_shares: {
    select: (tx, c) => count(tx, sql`select id, recipient_label from public.patient_shares where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.patient_shares (patient_id, created_by, recipient_label, parts, token_hash, code_hash, expires_at)
      values (${c.patient}, ${c.me}, 'Dr. New', array['vitals'], ${hex(32)}, ${hex(32)}, now() + interval '3 days')`),
    update: (tx, c) => affected(tx, sql`update public.patient_shares set revoked_at = now() where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.patient_shares where id = ${c.row}`),
  },
  telehealth_calls: {
    select: (tx, c) => count(tx, sql`select id, joined from public.telehealth_calls where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into public.telehealth_calls (appointment_id, patient_id, provider_id, started_by)
      values (gen_random_uuid(), ${c.patient}, ${c.me}, ${c.me})`),
    update: (tx, c) => affected(tx, sql`update public.telehealth_calls set visit_id = null where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from public.telehealth_calls where id = ${c.row}`),
  },
  "app.call_signals": {
    select: (tx, c) => count(tx, sql`select id, payload from app.call_signals where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into app.call_signals (appointment_id, sender_id, kind, payload)
      values (gen_random_uuid(), ${c.me}, 'offer', '{}')`),
    update: (tx, c) => affected(tx, sql`update app.call_signals set payload = '{"sdp":"forged"}' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from app.call_signals where id = ${c.row}`),
  },
  "storage.buckets": {
    select: (tx, c) => count(tx, sql`select id, name from storage.buckets where id = ${c.row}`),
    insert: (tx) => affected(tx, sql`insert into storage.buckets (id, name) values (${`b-${hex(4)}`}, 'new bucket')`),
    update: (tx, c) => affected(tx, sql`update storage.buckets set name = 'renamed' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from storage.buckets where id = ${c.row}`),
  },
  "storage.objects": {
    select: (tx, c) => count(tx, sql`select id, name from storage.objects where id = ${c.row}`),
    insert: (tx, c) => affected(tx, sql`insert into storage.objects (bucket_id, name, owner)
      values ('medical-documents', ${`${c.patient}/${randomUUID()}`}, ${c.me})`),
    update: (tx, c) => affected(tx, sql`update storage.objects set metadata = '{"tampered": true}' where id = ${c.row}`),
    delete: (tx, c) => affected(tx, sql`delete from storage.objects where id = ${c.row}`),
  },
};

const ROLLBACK = Symbol("rollback");

type Result = { ok: true; n: number } | { ok: false; code: string | undefined; message: string };

/** Runs fn as the session in a transaction that is always rolled back. */
async function inRolledBack(session: Session | null, fn: (tx: Tx) => Promise<number>): Promise<Result> {
  let n = 0;
  try {
    await withUser(session, async (tx) => {
      n = await fn(tx);
      throw ROLLBACK;
    });
  } catch (e) {
    if (e === ROLLBACK) return { ok: true, n };
    const err = e as { code?: string; message?: string };
    return { ok: false, code: err.code, message: String(err.message ?? e) };
  }
  throw new Error("unreachable: the cell's transaction was not rolled back");
}

/** Runs fn as a wearable (withDevice) in a transaction that is always rolled back. */
async function inRolledBackAsDevice(token: string, fn: (tx: Tx) => Promise<number>): Promise<Result> {
  let n = 0;
  try {
    await withDevice(token, async (tx) => {
      n = await fn(tx);
      throw ROLLBACK;
    });
  } catch (e) {
    if (e === ROLLBACK) return { ok: true, n };
    const err = e as { code?: string; message?: string };
    return { ok: false, code: err.code, message: String(err.message ?? e) };
  }
  throw new Error("unreachable: the device's transaction was not rolled back");
}

/** Compares one cell's result with its expectation; returns a description of a mismatch, or null. */
function judge(expected: Outcome, op: Op, r: Result): string | null {
  // 42501: RLS or a missing grant. mfa_required: withUser's session check (auth.enter_session) refused the session.
  if (!r.ok && r.code !== "42501" && r.code !== "mfa_required") return `failed with an unexpected error ${r.code ?? "?"}: ${r.message}`;
  const allowed = r.ok && (op === "insert" ? true : r.n > 0);
  if (expected === Y) {
    if (allowed) return op === "select" && r.ok && r.n !== 1 ? `saw ${r.n} rows, expected exactly 1` : null;
    return r.ok ? `expected allow, but ${op === "select" ? "saw" : "changed"} 0 rows` : `expected allow, got 42501: ${r.message}`;
  }
  if (!allowed) return null;
  return op === "insert" ? "expected deny, but the insert succeeded" : `expected deny, but ${op === "select" ? "saw" : "changed"} ${r.n} row(s)`;
}

function sessionOf(w: World, actor: Actor): Session | null {
  return actor === "anon" ? null : w.users[actor].session;
}

// ---------------------------------------------------------------------------------- the tests

describe("the access matrix itself", () => {
  it("has exactly one row per table × operation × scope", () => {
    const keys = MATRIX.map(([t, o, s]) => `${t} ${o} ${s}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(TABLES.length * OPS.length * 2);
  });
});

describe.each(engines)("access matrix on %s", (engine) => {
  let t: TestDatabase;
  let w: World;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    w = await seedWorld();
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe.each(MATRIX.map((row) => [`${row[0]} ${row[1]} ${row[2]}`, row] as const))("%s", (_name, row) => {
    const [table, op, scope, ...expected] = row;
    it(`holds for every actor`, async () => {
      const mismatches: string[] = [];
      for (const [i, actor] of ACTORS.entries()) {
        const cell: Cell = {
          w,
          scope,
          me: actor === "anon" ? w.users.attending.id : w.users[actor].id,
          patient: scope === "own" ? w.P : w.Q,
          row: w[scope][table],
          teamProvider: scope === "own" ? w.users.attending.id : w.foreignDoc.id,
        };
        const result = await inRolledBack(sessionOf(w, actor), (tx) => STATEMENTS[table][op](tx, cell));
        const problem = judge(expected[i], op, result);
        if (problem) mismatches.push(`${actor} × ${table} × ${op} × ${scope}: ${problem}`);
      }
      expect(mismatches, mismatches.join("\n")).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------- beyond the grid

/** The SQLSTATE of a statement run as the session (rolled back), or "ok". */
async function outcome(session: Session | null, q: ReturnType<typeof sql>): Promise<string> {
  const r = await inRolledBack(session, async (tx) => Number((await q.execute(tx)).numAffectedRows ?? 0));
  return r.ok ? "ok" : (r.code ?? `error: ${r.message}`);
}

/** Rows of `table` with this patient_id (or id, for patients) that the session sees, in a fresh transaction. */
async function visible(session: Session | null, table: "patients" | "visits" | "care_team", patient: string): Promise<number> {
  return withUser(session, async (tx) => {
    const q =
      table === "patients"
        ? sql`select id from public.patients where id = ${patient}`
        : table === "visits"
          ? sql`select id from public.visits where patient_id = ${patient}`
          : sql`select id from public.care_team where patient_id = ${patient}`;
    return (await q.execute(tx)).rows.length;
  });
}

describe.each(engines)("access rules beyond the grid on %s", (engine) => {
  let t: TestDatabase;
  let w: World;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    w = await seedWorld();
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** A fresh patient with one visit, registered by the admin (so nobody is on its team yet). */
  async function freshPatient(): Promise<string> {
    const id = await createPatient({ createdBy: w.users.admin.id });
    await serviceQuery((tx) =>
      sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint)
          values (${id}, ${w.users.attending.id}, now(), 'Fever')`.execute(tx),
    );
    return id;
  }

  it("secrets are unreadable for every actor (password, device token and invite code hashes)", async () => {
    const queries: [string, ReturnType<typeof sql>][] = [
      ["auth.users.password_hash", sql`select password_hash from auth.users`],
      ["auth.users *", sql`select * from auth.users`],
      ["devices.token_hash", sql`select token_hash from public.devices`],
      ["devices *", sql`select * from public.devices`],
      ["invites.code_hash", sql`select code_hash from public.invites`],
      ["mfa_factors.secret_enc", sql`select secret_enc from auth.mfa_factors`],
      ["mfa_factors.last_used_step", sql`select last_used_step from auth.mfa_factors`],
      ["recovery_codes.code_hash", sql`select code_hash from auth.recovery_codes`],
      ["invites *", sql`select * from public.invites`],
    ];
    const leaks: string[] = [];
    for (const actor of ACTORS) {
      for (const [what, q] of queries) {
        const got = await outcome(sessionOf(w, actor), q);
        if (got !== "42501" && !(actor === "pending" && got === "mfa_required")) leaks.push(`${actor} × ${what}: expected 42501, got ${got}`);
      }
    }
    expect(leaks, leaks.join("\n")).toEqual([]);
  });

  it("a care-channel read marker is its owner's alone, even among colleagues on the same team", async () => {
    const { attending, nurse, specialist } = w.users;
    for (const colleague of [nurse, specialist]) {
      const seen = await inRolledBack(colleague.session, (tx) =>
        count(tx, sql`select last_read_at from public.care_message_reads where user_id = ${attending.id} and patient_id = ${w.P}`));
      expect(seen, "colleague × attending's marker × select").toEqual({ ok: true, n: 0 });
      const moved = await inRolledBack(colleague.session, (tx) =>
        affected(tx, sql`update public.care_message_reads set last_read_at = now() where user_id = ${attending.id} and patient_id = ${w.P}`));
      expect(moved, "colleague × attending's marker × update").toEqual({ ok: true, n: 0 });
      expect(
        await outcome(colleague.session, sql`insert into public.care_message_reads (user_id, patient_id, last_read_at) values (${w.spare.id}, ${w.P}, now())`),
        "colleague × a marker in someone else's name × insert",
      ).toBe("42501");
    }
  });

  it("the audit trail shows patients who accessed their chart, never the rows' contents", async () => {
    const patient = w.users.patient.session;
    expect(await outcome(patient, sql`select id, occurred_at, actor_id, action, table_name from public.audit_log`)).toBe("ok");
    expect(await outcome(patient, sql`select old_row from public.audit_log`), "patient × audit_log.old_row").toBe("42501");
    expect(await outcome(patient, sql`select new_row from public.audit_log`), "patient × audit_log.new_row").toBe("42501");
    expect(await outcome(w.users.admin.session, sql`select old_row, new_row from public.audit_log`), "admin × audit_log rows").toBe("ok");
  });

  it("removal from the care team revokes access in the next transaction", async () => {
    const p = await freshPatient();
    const doc = await createUser("provider");
    await addToCareTeam(p, doc.id, "nurse");
    expect(await visible(doc.session, "patients", p)).toBe(1);
    expect(await visible(doc.session, "visits", p)).toBe(1);
    // the admin removes them, as the API does
    const removed = await withUser(w.users.admin.session, async (tx) =>
      Number((await sql`delete from public.care_team where patient_id = ${p} and provider_id = ${doc.id}`.execute(tx)).numAffectedRows),
    );
    expect(removed).toBe(1);
    expect(await visible(doc.session, "patients", p), "removed nurse × patients × select").toBe(0);
    expect(await visible(doc.session, "visits", p), "removed nurse × visits × select").toBe(0);
    expect(await visible(doc.session, "care_team", p), "removed nurse × care_team × select").toBe(0);
    expect(
      await outcome(doc.session, sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint) values (${p}, ${doc.id}, now(), 'x')`),
      "removed nurse × visits × insert",
    ).toBe("42501");
  });

  it("an unverified provider on the team gains access once an admin verifies them", async () => {
    const p = await freshPatient();
    const doc = await createUser("provider", { verified: false });
    await addToCareTeam(p, doc.id, "attending");
    expect(await visible(doc.session, "patients", p), "unverified × patients × select").toBe(0);
    expect(await visible(doc.session, "visits", p), "unverified × visits × select").toBe(0);
    await withUser(w.users.admin.session, (tx) =>
      sql`update public.providers set is_verified = true, verified_at = now(), verified_by = ${w.users.admin.id}
          where user_id = ${doc.id}`.execute(tx),
    );
    expect(await visible(doc.session, "patients", p), "verified × patients × select").toBe(1);
    expect(await visible(doc.session, "visits", p), "verified × visits × select").toBe(1);
  });

  it("a deactivated account loses access (provider and patient)", async () => {
    const p = await freshPatient();
    const doc = await createUser("provider");
    const portal = await createUser("patient");
    await addToCareTeam(p, doc.id, "attending");
    await serviceQuery((tx) => sql`update public.patients set user_id = ${portal.id} where id = ${p}`.execute(tx));
    expect(await visible(doc.session, "patients", p)).toBe(1);
    expect(await visible(portal.session, "patients", p)).toBe(1);
    await withUser(w.users.admin.session, (tx) =>
      sql`update auth.users set is_active = false where id in (${doc.id}, ${portal.id})`.execute(tx),
    );
    // withUser's session check (auth.enter_session) refuses their sessions outright ...
    for (const [who, s] of [["provider", doc.session], ["patient", portal.session]] as const) {
      const refused = await visible(s, "patients", p).then(() => "ok", (e: { code?: string }) => e.code);
      expect(refused, `deactivated ${who} × session`).toBe("session_revoked");
      expect(await outcome(s, sql`select 1`), `deactivated ${who} × any statement`).not.toBe("ok");
    }
    // ... and the access functions alone give them nothing either
    const sets = await serviceQuery(async (tx) =>
      (await sql<{ doc: string[]; portal: string[] }>`
        select app.readable_patient_ids(${doc.id}::uuid)::text[] as doc, app.readable_patient_ids(${portal.id}::uuid)::text[] as portal`.execute(tx)).rows[0],
    );
    expect(sets).toEqual({ doc: [], portal: [] });
  });

  it("nobody links a patient record to a portal account except the invite path (patients.user_id)", async () => {
    const { patient, otherPatient, attending, admin } = w.users;
    const attempts: [string, Session, ReturnType<typeof sql>][] = [
      ["other patient links themselves to P", otherPatient.session, sql`update public.patients set user_id = ${otherPatient.id} where id = ${w.P}`],
      ["patient links themselves to Q", patient.session, sql`update public.patients set user_id = ${patient.id} where id = ${w.Q}`],
      ["patient moves their own link", patient.session, sql`update public.patients set user_id = ${otherPatient.id} where id = ${w.P}`],
      ["attending relinks P", attending.session, sql`update public.patients set user_id = ${otherPatient.id} where id = ${w.P}`],
      ["admin relinks P", admin.session, sql`update public.patients set user_id = ${otherPatient.id} where id = ${w.P}`],
      ["attending registers a pre-linked patient", attending.session,
        sql`insert into public.patients (created_by, user_id, first_name, last_name, date_of_birth, gender, mrn)
            values (${attending.id}, ${otherPatient.id}, 'A', 'B', '1990-01-01', 'male', ${`MRN-${hex(6)}`})`],
    ];
    for (const [what, session, q] of attempts) expect(await outcome(session, q), what).toBe("42501");
  });

  it("a provider cannot forge who created, recorded, prescribed, uploaded, sent, reviewed or verified", async () => {
    const { attending, nurse, specialist, patient, admin } = w.users;
    const P = w.P;
    const me = attending.session;
    const attempts: [string, Session, ReturnType<typeof sql>][] = [
      ["patients.created_by", me, sql`insert into public.patients (created_by, first_name, last_name, date_of_birth, gender, mrn)
        values (${nurse.id}, 'A', 'B', '1990-01-01', 'male', ${`MRN-${hex(6)}`})`],
      ["visits.provider_id", me, sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint) values (${P}, ${nurse.id}, now(), 'x')`],
      ["visits.provider_id (update)", me, sql`update public.visits set provider_id = ${nurse.id} where id = ${w.own.visits}`],
      ["prescriptions.prescriber_id", me, sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${P}, ${specialist.id}, 'A', 'B', 'C', current_date)`],
      ["prescriptions.prescriber_id (update)", me, sql`update public.prescriptions set prescriber_id = ${specialist.id} where id = ${w.own.prescriptions}`],
      ["nurse prescribes as the attending", nurse.session, sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${P}, ${attending.id}, 'A', 'B', 'C', current_date)`],
      ["documents.uploaded_by", me, sql`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type, size_bytes, sha256)
        values (${P}, ${nurse.id}, ${`${P}/${randomUUID()}`}, 'other', 'image/png', 1, ${hex(32)})`],
      ["documents.reviewed_by", me, sql`update public.documents set reviewed_at = now(), reviewed_by = ${nurse.id} where id = ${w.own.documents}`],
      ["documents.deleted_by", me, sql`update public.documents set deleted_at = now(), deleted_by = ${nurse.id}, delete_reason = 'dup' where id = ${w.own.documents}`],
      ["care_messages.sender_id", me, sql`insert into public.care_messages (patient_id, sender_id, message) values (${P}, ${nurse.id}, 'x')`],
      ["vitals.recorded_by", me, sql`insert into public.vitals (patient_id, recorded_by, metric, value, unit, recorded_at) values (${P}, ${nurse.id}, 'steps', 1, 'steps', now())`],
      ["invites.created_by", me, sql`insert into public.invites (patient_id, code_hash, created_by, expires_at) values (${P}, ${hex(32)}, ${nurse.id}, now() + interval '1 day')`],
      ["appointments.requested_by", me, sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, requested_by)
        values (${P}, ${attending.id}, now() + interval '20 days', now() + interval '20 days 10 minutes', ${patient.id})`],
      ["storage.objects.owner", me, sql`insert into storage.objects (bucket_id, name, owner) values ('medical-documents', ${`${P}/${randomUUID()}`}, ${nurse.id})`],
      ["care_team.added_by (admin)", admin.session, sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${P}, ${w.spare.id}, 'nurse', ${attending.id})`],
      ["providers.verified_by (admin)", admin.session, sql`update public.providers set verified_by = ${attending.id} where user_id = ${nurse.id}`],
    ];
    const forged: string[] = [];
    for (const [what, session, q] of attempts) {
      const got = await outcome(session, q);
      if (got !== "42501") forged.push(`${what}: expected 42501, got ${got}`);
    }
    expect(forged, forged.join("\n")).toEqual([]);
    // ...while stamping oneself works
    expect(await outcome(me, sql`update public.documents set reviewed_at = now(), reviewed_by = ${attending.id} where id = ${w.own.documents}`)).toBe("ok");
    expect(await outcome(admin.session, sql`update public.providers set verified_by = ${admin.id} where user_id = ${nurse.id}`)).toBe("ok");
  });

  it("a provider cannot add themselves to a care team or raise their own team role", async () => {
    const { outsider, attending, nurse, unverified } = w.users;
    const attempts: [string, Session, ReturnType<typeof sql>][] = [
      ["outsider joins P", outsider.session, sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${w.P}, ${outsider.id}, 'attending', ${outsider.id})`],
      ["attending joins Q", attending.session, sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${w.Q}, ${attending.id}, 'attending', ${attending.id})`],
      ["nurse becomes attending", nurse.session, sql`update public.care_team set role = 'attending' where patient_id = ${w.P} and provider_id = ${nurse.id}`],
      ["unverified verifies themselves", unverified.session, sql`update public.providers set is_verified = true, verified_at = now() where user_id = ${unverified.id}`],
    ];
    for (const [what, session, q] of attempts) expect(await outcome(session, q), what).toBe("42501");
  });

  it("whoever registers a patient joins its care team as attending, and sees it from the next statement", async () => {
    const { outsider } = w.users;
    const id = randomUUID();
    const seen = await inRolledBack(outsider.session, async (tx) => {
      await sql`insert into public.patients (id, created_by, first_name, last_name, date_of_birth, gender, mrn)
                values (${id}, ${outsider.id}, 'New', 'Patient', '1990-01-01', 'other', ${`MRN-${hex(6)}`})`.execute(tx);
      const rows = (await sql<{ role: string }>`select ct.role from public.care_team ct join public.patients p on p.id = ct.patient_id
                                               where ct.patient_id = ${id} and ct.provider_id = ${outsider.id}`.execute(tx)).rows;
      return rows.length === 1 && rows[0].role === "attending" ? 1 : 0;
    });
    expect(seen).toEqual({ ok: true, n: 1 });
  });

  // Prescribing rules (0610, docs/prescribing.md): the licence AND the seat. One row per
  // credential × seat; Y = the insert succeeds and the update changes P's prescription.
  // prettier-ignore
  const PRESCRIBING: [ProviderCredential, CareTeamRole, Outcome][] = [
    // credential             seat          insert and update
    ["physician",             "attending",  Y],
    ["nurse_practitioner",    "attending",  Y],
    ["physician_assistant",   "attending",  Y],
    ["registered_nurse",      "attending",  N],
    ["medical_assistant",     "attending",  N],
    ["other",                 "attending",  N],
    ["physician",             "specialist", Y],
    ["registered_nurse",      "specialist", N],
    ["physician",             "nurse",      N],
    ["nurse_practitioner",    "nurse",      N],
  ];

  it("prescribing follows the credential as well as the seat (insert and update, by credential)", async () => {
    const mismatches: string[] = [];
    for (const [credential, seat, expected] of PRESCRIBING) {
      const doc = await createUser("provider", { credential });
      await addToCareTeam(w.P, doc.id, seat);
      const insert = await inRolledBack(doc.session, (tx) => affected(tx, sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
        values (${w.P}, ${doc.id}, 'Metformin', '500 mg', 'twice daily', current_date)`));
      const update = await inRolledBack(doc.session, (tx) => affected(tx, sql`update public.prescriptions set status = 'completed' where id = ${w.own.prescriptions}`));
      const insertGot = insert.ok ? (insert.n === 1 ? Y : "no row") : insert.code === "42501" ? N : `error ${insert.code ?? ""} ${insert.message}`;
      const updateGot = update.ok ? (update.n === 1 ? Y : N) : update.code === "42501" ? N : `error ${update.code ?? ""} ${update.message}`;
      if (insertGot !== expected) mismatches.push(`${credential} as ${seat} × prescriptions × insert: expected ${expected}, got ${insertGot}`);
      if (updateGot !== expected) mismatches.push(`${credential} as ${seat} × prescriptions × update: expected ${expected}, got ${updateGot}`);
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });

  it("a credential recorded by an admin takes effect in the next transaction; nobody else records one", async () => {
    const { admin, nurse, attending } = w.users;
    const doc = await createUser("provider", { credential: "registered_nurse" });
    await addToCareTeam(w.P, doc.id, "attending");
    const prescribe = () => inRolledBack(doc.session, (tx) => affected(tx, sql`insert into public.prescriptions (patient_id, prescriber_id, medication, dosage, frequency, start_date)
      values (${w.P}, ${doc.id}, 'Metformin', '500 mg', 'twice daily', current_date)`));
    expect(await prescribe()).toMatchObject({ ok: false, code: "42501" });
    for (const [who, session] of [["nurse", nurse.session], ["attending", attending.session], ["the provider themselves", doc.session]] as const) {
      expect(await outcome(session, sql`select app.set_provider_credential(${doc.id}::uuid, 'physician')`), `${who} × set_provider_credential`).toBe("42501");
      expect(await outcome(session, sql`update public.providers set credential = 'physician' where user_id = ${doc.id}`), `${who} × providers.credential`).toBe("42501");
    }
    // an admin may not write the column directly either (the function is the way), but may call the function
    expect(await outcome(admin.session, sql`update public.providers set credential = 'physician' where user_id = ${doc.id}`)).toBe("42501");
    await withUser(admin.session, (tx) => sql`select app.set_provider_credential(${doc.id}::uuid, 'physician')`.execute(tx));
    expect(await prescribe()).toEqual({ ok: true, n: 1 });
    await withUser(admin.session, (tx) => sql`select app.set_provider_credential(${doc.id}::uuid, 'medical_assistant')`.execute(tx));
    expect(await prescribe()).toMatchObject({ ok: false, code: "42501" });
  });

  it("an attending adds and removes colleagues on their patient's team, not themselves, not an admin seat, not on another team", async () => {
    const { attending, nurse, specialist } = w.users;
    const n = async (session: Session, q: ReturnType<typeof sql>) => {
      const r = await inRolledBack(session, (tx) => affected(tx, q));
      return r.ok ? String(r.n) : (r.code ?? r.message);
    };
    const add = (role: string, who = w.spare.id, patient = w.P) =>
      sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${patient}, ${who}, ${role}, ${attending.id})`;
    expect(await n(attending.session, add("nurse")), "attending adds a nurse").toBe("1");
    expect(await n(attending.session, add("specialist")), "attending adds a specialist").toBe("1");
    expect(await n(attending.session, add("attending")), "attending adds a second attending").toBe("1");
    expect(await n(attending.session, add("admin")), "attending seats an admin member").toBe("42501");
    expect(await n(attending.session, add("nurse", w.spare.id, w.Q)), "attending adds to Q's team").toBe("42501");
    expect(await n(nurse.session, sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${w.P}, ${w.spare.id}, 'nurse', ${nurse.id})`), "nurse adds").toBe("42501");
    expect(await n(specialist.session, sql`insert into public.care_team (patient_id, provider_id, role, added_by) values (${w.P}, ${w.spare.id}, 'nurse', ${specialist.id})`), "specialist adds").toBe("42501");
    expect(await n(attending.session, sql`delete from public.care_team where patient_id = ${w.P} and provider_id = ${specialist.id}`), "attending removes the specialist").toBe("1");
    expect(await n(attending.session, sql`delete from public.care_team where patient_id = ${w.P} and provider_id = ${attending.id}`), "attending removes themselves").toBe("0");
    expect(await n(nurse.session, sql`delete from public.care_team where patient_id = ${w.P} and provider_id = ${specialist.id}`), "nurse removes").toBe("0");
    expect(await n(attending.session, sql`update public.care_team set role = 'attending' where patient_id = ${w.P} and provider_id = ${nurse.id}`), "attending changes a role").toBe("42501");
  });

  it("application roles cannot ask the access functions about someone else", async () => {
    const probes: [string, ReturnType<typeof sql>][] = [
      ["readable_patient_ids", sql`select app.readable_patient_ids(${w.users.attending.id}::uuid)`],
      ["care_team_patient_ids", sql`select app.care_team_patient_ids(${w.users.attending.id}::uuid)`],
      ["can_read_patient", sql`select app.can_read_patient(${w.users.attending.id}::uuid, ${w.P}::uuid)`],
      ["visible_user_ids", sql`select app.visible_user_ids(${w.users.attending.id}::uuid)`],
    ];
    for (const actor of ["patient", "outsider", "admin", "anon"] as const) {
      for (const [fn, q] of probes) expect(await outcome(sessionOf(w, actor), q), `${actor} × app.${fn}()`).toBe("42501");
    }
  });

  it("a wearable's token reads nothing and writes only its own patient's samples", async () => {
    const token = `cbd_${hex(24)}`;
    const deviceId = await serviceQuery(async (tx) =>
      String((await sql<{ id: string }>`insert into public.devices (patient_id, name, token_hash)
        values (${w.P}, 'Band', ${sha256Hex(token)}) returning id`.execute(tx)).rows[0].id),
    );
    /** Runs q as the device in a rolled-back transaction: "ok:<rows>", a SQLSTATE, or the app error code. */
    const asDevice = async (q: ReturnType<typeof sql>): Promise<string> => {
      let n = 0;
      try {
        await withDevice(token, async (tx) => {
          const r = await q.execute(tx);
          n = Number(r.numAffectedRows ?? r.rows.length);
          throw ROLLBACK;
        });
      } catch (e) {
        if (e === ROLLBACK) return `ok:${n}`;
        return (e as { code?: string }).code ?? String(e);
      }
      throw new Error("unreachable: the device's transaction was not rolled back");
    };
    const reads: string[] = [];
    for (const table of TABLES) {
      const got = await asDevice(sql`select 1 from ${sql.table(table)}`);
      if (got !== "ok:0" && got !== "42501") reads.push(`device × ${table} × select: ${got}`);
    }
    expect(reads, reads.join("\n")).toEqual([]);
    const sample = (patient: string, recordedBy: string | null) =>
      sql`insert into public.vitals (patient_id, device_id, recorded_by, metric, value, unit, recorded_at)
          values (${patient}, ${deviceId}, ${recordedBy}, 'heart_rate', 64, 'bpm', now())`;
    expect(await asDevice(sample(w.P, null)), "device × vitals × insert own").toBe("ok:1");
    expect(await asDevice(sample(w.Q, null)), "device × vitals × insert foreign").toBe("42501");
    expect(await asDevice(sample(w.P, w.users.attending.id)), "device × vitals × insert as a user").toBe("42501");
    expect(
      await asDevice(sql`insert into public.visits (patient_id, provider_id, visit_date, chief_complaint) values (${w.P}, ${w.users.attending.id}, now(), 'x')`),
      "device × visits × insert",
    ).toBe("42501");
    // every cell's statement, run as the device, sees and changes nothing (its own samples, above, are the one write)
    const cells: string[] = [];
    for (const table of TABLES) {
      for (const op of OPS) {
        for (const scope of ["own", "foreign"] as const) {
          const cell: Cell = {
            w, scope, me: w.users.attending.id, patient: scope === "own" ? w.P : w.Q, row: w[scope][table],
            teamProvider: scope === "own" ? w.users.attending.id : w.foreignDoc.id,
          };
          const problem = judge(N, op, await inRolledBackAsDevice(token, (tx) => STATEMENTS[table][op](tx, cell)));
          if (problem) cells.push(`device × ${table} × ${op} × ${scope}: ${problem}`);
        }
      }
    }
    expect(cells, cells.join("\n")).toEqual([]);
    await serviceQuery((tx) => sql`update public.devices set revoked_at = now() where id = ${deviceId}`.execute(tx));
    expect(await asDevice(sample(w.P, null)), "revoked device").toBe("invalid_device_token");
  });

  it("documents: the care team reviews as themselves, only the attending soft-deletes, and a deleted document is hidden", async () => {
    const deleted: Rows = {};
    for (const [scope, patient, author] of [["own", w.P, w.users.attending], ["foreign", w.Q, w.foreignDoc]] as const) {
      deleted[scope] = await serviceQuery(async (tx) =>
        String((await sql<{ id: string }>`insert into public.documents (patient_id, uploaded_by, object_key, document_type, content_type,
            size_bytes, sha256, deleted_at, deleted_by, delete_reason)
          values (${patient}, ${author.id}, ${`${patient}/${randomUUID()}`}, 'other', 'application/pdf', 10, ${hex(32)}, now(), ${author.id}, 'Wrong patient')
          returning id`.execute(tx)).rows[0].id),
      );
    }
    const statements: Record<string, (tx: Tx, me: string, scope: Scope) => Promise<number>> = {
      "review (as oneself)": (tx, me, scope) =>
        affected(tx, sql`update public.documents set reviewed_at = now(), reviewed_by = ${me} where id = ${w[scope].documents}`),
      "soft delete (app.soft_delete_document)": (tx, _me, scope) =>
        count(tx, sql`select 1 from (select app.soft_delete_document(${w[scope].documents}::uuid, 'Duplicate') as done) s where done`),
      "read a soft-deleted document": (tx, _me, scope) => count(tx, sql`select id from public.documents where id = ${deleted[scope]}`),
    };
    // prettier-ignore
    const rules: [string, Scope, ...Outcome[]][] = [
      // what                                      scope      admin attend nurse spec outsider unverif patient other anon  noMfa pending
      ["review (as oneself)",                      "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
      ["review (as oneself)",                      "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["soft delete (app.soft_delete_document)",   "own",     N,    Y,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["soft delete (app.soft_delete_document)",   "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      // gone for the team and the patient; admins still see it until the retention job purges it (docs/storage.md)
      ["read a soft-deleted document",             "own",     Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["read a soft-deleted document",             "foreign", Y,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
    ];
    const mismatches: string[] = [];
    for (const [what, scope, ...expected] of rules) {
      for (const [i, actor] of ACTORS.entries()) {
        const me = actor === "anon" ? w.users.attending.id : w.users[actor].id;
        const r = await inRolledBack(sessionOf(w, actor), (tx) => statements[what](tx, me, scope));
        const problem = judge(expected[i], what.startsWith("read") ? "select" : "update", r);
        if (problem) mismatches.push(`${actor} × documents × ${what} × ${scope}: ${problem}`);
      }
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });

  // Scheduling (0620, docs/scheduling.md): the care team books confirmed appointments with a
  // team provider and moves them; the patient only requests and cancels; nobody writes the
  // cancel stamps (the guard does).
  it("scheduling: booking confirmed, rescheduling, cancelling with a reason, the cancel stamps", async () => {
    const teamDoc = (scope: Scope) => (scope === "own" ? w.users.attending.id : w.foreignDoc.id);
    const patientOf = (scope: Scope) => (scope === "own" ? w.P : w.Q);
    const statements: Record<string, [Op, (tx: Tx, me: string, scope: Scope) => Promise<number>]> = {
      "book confirmed": ["insert", (tx, me, scope) => affected(tx, sql`insert into public.appointments (patient_id, provider_id, starts_at, ends_at, status, requested_by)
        values (${patientOf(scope)}, ${teamDoc(scope)}, now() + interval '40 days', now() + interval '40 days 30 minutes', 'confirmed', ${me})`)],
      "reschedule": ["update", (tx, _me, scope) => affected(tx, sql`update public.appointments set starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' where id = ${w[scope].appointments}`)],
      "cancel with a reason": ["update", (tx, _me, scope) => affected(tx, sql`update public.appointments set status = 'cancelled', cancel_reason = 'Clinic closed' where id = ${w[scope].appointments}`)],
      "write cancelled_by": ["update", (tx, me, scope) => affected(tx, sql`update public.appointments set cancelled_by = ${me} where id = ${w[scope].appointments}`)],
    };
    // prettier-ignore
    const rules: [string, Scope, ...Outcome[]][] = [
      // what                     scope      admin attend nurse spec outsider unverif patient other anon  noMfa pending
      ["book confirmed",          "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
      ["book confirmed",          "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["reschedule",              "own",     N,    Y,     Y,    Y,   N,       N,      N,      N,    N, N,    N],
      ["reschedule",              "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["cancel with a reason",    "own",     N,    Y,     Y,    Y,   N,       N,      Y,      N,    N, N,    N],
      ["cancel with a reason",    "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["write cancelled_by",      "own",     N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
      ["write cancelled_by",      "foreign", N,    N,     N,    N,   N,       N,      N,      N,    N, N,    N],
    ];
    const mismatches: string[] = [];
    for (const [what, scope, ...expected] of rules) {
      for (const [i, actor] of ACTORS.entries()) {
        const me = actor === "anon" ? w.users.attending.id : w.users[actor].id;
        const [op, run] = statements[what];
        const r = await inRolledBack(sessionOf(w, actor), (tx) => run(tx, me, scope));
        const problem = judge(expected[i], op, r);
        if (problem) mismatches.push(`${actor} × appointments × ${what} × ${scope}: ${problem}`);
      }
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });
});
