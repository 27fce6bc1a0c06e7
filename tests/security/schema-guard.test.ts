/**
 * The schema guard (issue #12, item 11): invariants of the migrated database that no single
 * feature test would notice going wrong.
 * - Every table in the application's schemas has row-level security enabled AND forced, or is
 *   on the reviewed list below (with why), and appears in the access matrix.
 * - Every SECURITY DEFINER function has a fixed, empty search_path, is owned by service_role
 *   (tables are forced: any other owner would see nothing), and is executable by exactly the
 *   roles reviewed below. A new function, or a new grant, fails here until it is reviewed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { serviceQuery, sql } from "../support/seed";
import { MATRIX_TABLES } from "./matrix-tables";

/** Tables without RLS, each with the reason it needs none. */
const REVIEWED_WITHOUT_RLS: Record<string, string> = {
  "app.schema_migrations": "migration bookkeeping: read and written by the migration login only; no application role or service_role has any grant on it",
};

const OWNER_LOGIN = "(the migration login)";
const APP = "app_admin,authenticated"; // sorted
/** Who may EXECUTE each SECURITY DEFINER function, besides its owner (service_role). Reviewed. */
const REVIEWED_DEFINER_GRANTS: Record<string, string> = {
  // trigger functions: the schema's owner attaches them to tables (they cannot be called otherwise)
  "app.appointments_guard()": OWNER_LOGIN,
  "app.audit_chain_flush()": OWNER_LOGIN,
  "app.audit_chain_link()": OWNER_LOGIN,
  "app.audit_row_change()": OWNER_LOGIN,
  "app.audit_statement_change()": OWNER_LOGIN,
  "app.audit_vitals_batch()": OWNER_LOGIN,
  "app.capture_row_change()": OWNER_LOGIN,
  "app.capture_vitals_batch()": OWNER_LOGIN,
  "app.creator_joins_care_team()": OWNER_LOGIN,
  "app.vitals_counts_added()": OWNER_LOGIN,
  "app.vitals_counts_changed()": OWNER_LOGIN,
  "app.vitals_counts_removed()": OWNER_LOGIN,
  "app.visit_vitals_added()": OWNER_LOGIN,
  "app.visit_vitals_changed()": OWNER_LOGIN,
  "app.visit_vitals_removed()": OWNER_LOGIN,
  // service-only (service_role, and other definer functions)
  "app.audit_drain_reads(integer)": "",
  "app.visit_vitals_count(uuid[],text[],bigint[])": "",
  "app.audit_write(text,text,text,uuid,jsonb,jsonb,jsonb,uuid)": "",
  "app.can_read_patient(uuid,uuid)": "",
  "app.care_team_patient_ids(uuid,text[])": "",
  "app.chartable_patient_ids(uuid)": "",
  "app.is_admin(uuid)": "",
  "app.is_verified_provider(uuid)": "",
  "app.may_read_patients(uuid,uuid[])": "",
  "app.own_patient_ids(uuid)": "",
  "app.patient_care_team_ids(uuid)": "",
  "app.patient_reader_ids(uuid)": "",
  "app.prescribable_patient_ids(uuid)": "",
  "app.readable_patient_ids(uuid)": "",
  "app.record_event_unchecked(text,uuid,uuid,uuid,jsonb)": "",
  "app.record_read_unchecked(text,uuid[],text[],jsonb)": "",
  "app.visible_user_ids(uuid)": "",
  "auth.resolve_session(uuid,uuid,integer)": "",
  "auth.live_session_ids(uuid[],uuid[],integer)": "",
  "auth.session_is_live(uuid,uuid,integer)": "",
  // the caller's own sets and checks, for the policies (from the request's claims only)
  "app.i_am_admin()": APP,
  "app.i_am_verified_provider()": APP,
  "app.my_attending_patient_ids()": "authenticated",
  "app.my_chartable_patient_ids()": APP,
  "app.my_patient_ids()": APP,
  "app.my_prescribable_patient_ids()": APP,
  "app.my_readable_patient_ids()": APP,
  "app.my_visible_user_ids()": APP,
  "app.on_readable_care_team(uuid,uuid)": APP,
  // the audit writers callable inside withUser: they check the caller first (0208)
  "app.record_event(text,uuid,uuid,uuid,jsonb)": APP,
  "app.record_read(text,uuid[],text[],jsonb)": APP,
  "app.stage_read(text,uuid[],text[],jsonb)": APP,
  "app.patient_access_log(uuid,timestamp with time zone,bigint,integer)": APP,
  "app.patient_access_log(uuid,timestamp with time zone,bigint,integer,uuid)": APP,
  // the next clinic-assigned MRN (docs/mrn.md)
  "app.next_mrn()": APP,
  // an admin records a provider's credential (0610): checks app.i_am_admin() itself
  "app.set_provider_credential(uuid,text)": "app_admin",
  // public prescription verification (0720): initials, birth year, status and prescriber for a code; audits every lookup
  "app.verify_prescription(text)": "anon",
  // mail in a signed-in user's transaction (0630): each checks the caller itself and picks or checks the recipient
  "app.issue_staff_invite(uuid,text,integer,text,text,text)": "app_admin",
  "app.mail_patient_invite(uuid,text,text,text,text)": APP,
  "app.enqueue_patient_notice(uuid,text,text,text,text)": APP,
  // documents: deletion is a checked function (0300)
  "app.soft_delete_document(uuid,text)": "authenticated",
  // devices (withDevice): resolve the device from the token hash in the claims
  "app.authenticate_device()": "authenticated",
  "app.my_device_id()": "authenticated",
  "app.my_device_patient_id()": "authenticated",
  // emergency access (0700): the sets behind readable_patient_ids are service-only; the caller's
  // own functions check auth.uid() themselves
  "app.related_patient_ids(uuid)": "",
  "app.emergency_patient_ids(uuid)": "",
  "app.my_related_patient_ids()": "authenticated",
  "app.open_emergency_access(text,date,text,integer)": "authenticated",
  "app.end_emergency_access(uuid)": "authenticated",
  "app.enqueue_emergency_notice(uuid,text,text,text)": "authenticated",
  "app.my_emergency_accesses()": "authenticated",
  // patient sharing (0701): the recipient's one door, by token hash and code hash
  "app.open_share(text,text,integer)": "anon",
  // telehealth (0910): who may join a call is app.call_role (service-only); the caller's own doors check it themselves
  "app.call_role(uuid,uuid)": "",
  "app.prune_call_signals(interval)": "",
  "app.my_call_role(uuid)": "authenticated",
  "app.start_call(uuid)": "authenticated",
  "app.send_call_signal(uuid,text,uuid,jsonb)": "authenticated",
  "app.end_call(uuid)": "authenticated",
  "app.call_participant_names(uuid,uuid[])": "authenticated",
  // withUser's session check runs before the role switch, as whatever the login is
  "auth.enter_session(uuid,uuid,text,integer)": "public",
};

describe.each(engines)("schema guard on %s", (engine) => {
  let t: TestDatabase;
  let ownerLogin: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    // the migration login: whoever owns the tables
    ownerLogin = await serviceQuery(async (tx) =>
      (await sql<{ o: string }>`select pg_get_userbyid(relowner) as o from pg_class where oid = 'public.patients'::regclass`.execute(tx)).rows[0].o,
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("every table has RLS enabled and forced (or is reviewed) and is in the access matrix", async () => {
    const tables = await serviceQuery(async (tx) =>
      (await sql<{ name: string; rls: boolean; forced: boolean }>`
        select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as name,
               c.relrowsecurity as rls, c.relforcerowsecurity as forced
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p') and n.nspname in ('public', 'auth', 'app', 'storage')
         order by 1`.execute(tx)).rows,
    );
    expect(tables.length).toBeGreaterThan(20);
    const problems: string[] = [];
    const inMatrix = new Set<string>(MATRIX_TABLES);
    for (const tb of tables) {
      if (REVIEWED_WITHOUT_RLS[tb.name]) continue;
      if (!tb.rls || !tb.forced) problems.push(`${tb.name}: row-level security ${tb.rls ? "enabled but not forced" : "not enabled"}`);
      if (!inMatrix.has(tb.name)) problems.push(`${tb.name}: not in the access matrix (tests/security/matrix-tables.ts)`);
    }
    for (const name of inMatrix) if (!tables.some((tb) => tb.name === name)) problems.push(`${name}: in the matrix but not in the database`);
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("the reviewed tables without RLS grant nothing to any application role", async () => {
    const grants = await serviceQuery(async (tx) =>
      (await sql<{ tbl: string; grantee: string }>`
        select table_schema || '.' || table_name as tbl, grantee from information_schema.role_table_grants
         where table_schema || '.' || table_name = any (${Object.keys(REVIEWED_WITHOUT_RLS)}::text[])
           and grantee in ('anon', 'authenticated', 'app_admin', 'service_role', 'app_runtime', 'PUBLIC')`.execute(tx)).rows,
    );
    expect(grants).toEqual([]);
  });

  it("every SECURITY DEFINER function has an empty search_path, is owned by service_role, and has reviewed grants", async () => {
    const fns = await serviceQuery(async (tx) =>
      (await sql<{ sig: string; owner: string; config: string[] | null; grantees: string | null }>`
        select p.oid::regprocedure::text as sig, pg_get_userbyid(p.proowner) as owner, p.proconfig as config,
               (select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end, ',' order by 1)
                  from aclexplode(p.proacl) a
                 where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner) as grantees
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where p.prosecdef and n.nspname in ('public', 'auth', 'app', 'storage')
         order by 1`.execute(tx)).rows,
    );
    expect(fns.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const f of fns) {
      if (!(f.config ?? []).includes('search_path=""')) problems.push(`${f.sig}: no fixed empty search_path (${JSON.stringify(f.config)})`);
      if (f.owner !== "service_role") problems.push(`${f.sig}: owned by ${f.owner}, not service_role`);
      const reviewed = REVIEWED_DEFINER_GRANTS[f.sig];
      // the migration login's name differs between installations; the test login on PGlite is the superuser
      const got = (f.grantees ?? "")
        .split(",")
        .filter(Boolean)
        .map((g) => (g === ownerLogin ? OWNER_LOGIN : g))
        .sort()
        .join(",");
      if (reviewed === undefined) problems.push(`${f.sig}: a SECURITY DEFINER function not reviewed here (grants: "${got}")`);
      else if (got !== reviewed) problems.push(`${f.sig}: executable by "${got}", reviewed as "${reviewed}"`);
    }
    for (const sig of Object.keys(REVIEWED_DEFINER_GRANTS)) {
      if (!fns.some((f) => f.sig === sig)) problems.push(`${sig}: reviewed here but not in the database`);
    }
    expect(problems, problems.join("\n")).toEqual([]);
    expect(engine).toBeTruthy();
  });
});
