/**
 * The realtime hub authorises a change for all subscribers of a patient at once through the
 * INVERSE sets of the read policies (0920): app.patient_reader_ids(patient) for
 * app.readable_patient_ids(uid), app.patient_care_team_ids(patient) for
 * app.chartable_patient_ids(uid), and auth.live_session_ids for auth.session_is_live. This
 * file holds them equal, on both engines, over every (user, patient) pair of a clinic that
 * has each kind of relation and each way of losing it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, sql, type TestUser } from "../support/seed";
import { authorizeDelivery, endedSessions } from "@/core/realtime/authorize-delivery";
import { asService } from "@/core/db/with-user";

const REASON = "Unconscious on arrival, no relatives reachable";

describe.each(engines)("realtime authorisation sets on %s", (engine) => {
  let t: TestDatabase;
  const users: Record<string, TestUser> = {};
  const patients: Record<string, string> = {};

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    users.attending = await createUser("provider");
    users.unverified = await createUser("provider", { verified: false });
    users.deactivated = await createUser("provider");
    users.nurseGrant = await createUser("provider", { credential: "registered_nurse" });
    users.expiredGrant = await createUser("provider");
    users.endedGrant = await createUser("provider");
    users.assistantGrant = await createUser("provider", { credential: "medical_assistant" });
    users.grantDeactivated = await createUser("provider");
    users.teamAndGrant = await createUser("provider");
    users.patientA = await createUser("patient");
    users.patientGone = await createUser("patient");
    users.admin = await createUser("admin");
    const by = users.attending.id;
    patients.A = await createPatient({ createdBy: by, userId: users.patientA.id });
    patients.B = await createPatient({ createdBy: by, userId: users.patientGone.id });
    patients.C = await createPatient({ createdBy: by });
    patients.D = await createPatient({ createdBy: users.admin.id }); // nobody's
    for (const p of [patients.A, patients.B, patients.C]) await addToCareTeam(p, users.attending.id, "attending");
    await addToCareTeam(patients.A, users.unverified.id, "nurse");
    await addToCareTeam(patients.B, users.deactivated.id, "specialist");
    await addToCareTeam(patients.C, users.teamAndGrant.id, "nurse");
    await serviceQuery(async (tx) => {
      const grant = (patient: string, provider: string, opts: { expired?: boolean; ended?: boolean } = {}) =>
        sql`insert into public.emergency_access_grants (patient_id, provider_id, reason, created_at, expires_at, ended_at, ended_by)
            values (${patient}, ${provider}, ${REASON},
                    now() - ${opts.expired ? "3 hours" : "1 minute"}::interval,
                    now() + ${opts.expired ? "-1 hour" : "1 hour"}::interval,
                    ${opts.ended ? sql`now()` : sql`null`}, ${opts.ended ? provider : null})`.execute(tx);
      await grant(patients.C, users.nurseGrant.id);
      await grant(patients.A, users.nurseGrant.id);
      await grant(patients.C, users.expiredGrant.id, { expired: true });
      await grant(patients.A, users.endedGrant.id, { ended: true });
      await grant(patients.B, users.assistantGrant.id); // a credential that may not break the glass
      await grant(patients.D, users.grantDeactivated.id);
      await grant(patients.C, users.teamAndGrant.id);
      await sql`update auth.users set is_active = false where id in (${users.deactivated.id}, ${users.patientGone.id}, ${users.grantDeactivated.id})`.execute(tx);
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** Every user→patient pair the forward set function grants, and every pair the inverse one names. */
  function pairs(forwardFn: "app.readable_patient_ids" | "app.chartable_patient_ids", inverseFn: "app.patient_reader_ids" | "app.patient_care_team_ids") {
    return serviceQuery(async (tx) => {
      const forward: string[] = [];
      const inverse: string[] = [];
      for (const [u, user] of Object.entries(users)) {
        for (const [p, patient] of Object.entries(patients)) {
          const { rows } = await sql<{ f: boolean; i: boolean }>`
            select ${patient}::uuid = any (${sql.raw(forwardFn)}(${user.id}::uuid)) as f,
                   ${user.id}::uuid = any (${sql.raw(inverseFn)}(${patient}::uuid)) as i`.execute(tx);
          if (rows[0].f) forward.push(`${u}→${p}`);
          if (rows[0].i) inverse.push(`${u}→${p}`);
        }
      }
      return { forward, inverse };
    });
  }

  it("a user reads a patient by app.readable_patient_ids exactly when app.patient_reader_ids names them", async () => {
    const { forward, inverse } = await pairs("app.readable_patient_ids", "app.patient_reader_ids");
    expect(inverse).toEqual(forward);
    // and the clinic above has what it is meant to have (so the equality is not of two empty lists)
    expect(forward.sort()).toEqual(
      ["attending→A", "attending→B", "attending→C", "nurseGrant→A", "nurseGrant→C", "patientA→A", "teamAndGrant→C"].sort(),
    );
  });

  it("a user charts for a patient by app.chartable_patient_ids exactly when app.patient_care_team_ids names them", async () => {
    const { forward, inverse } = await pairs("app.chartable_patient_ids", "app.patient_care_team_ids");
    expect(inverse).toEqual(forward);
    expect(forward.sort()).toEqual(["attending→A", "attending→B", "attending→C", "teamAndGrant→C"].sort());
  });

  it("auth.live_session_ids keeps the sessions auth.session_is_live calls live, and the hub's decisions follow both", async () => {
    const extra = {
      revoked: await createUser("provider"),
      expired: await createUser("provider"),
      pending: await createUser("provider"),
      idleStaff: await createUser("provider"),
    };
    const idlePatient = await createUser("patient");
    await addToCareTeam(patients.C, extra.idleStaff.id, "nurse");
    await serviceQuery(async (tx) => {
      await sql`update auth.sessions set revoked_at = now(), revoke_reason = 'signed_out' where id = ${extra.revoked.session.sessionId}`.execute(tx);
      await sql`update auth.sessions set expires_at = now() - interval '1 second' where id = ${extra.expired.session.sessionId}`.execute(tx);
      await sql`update auth.sessions set mfa_pending = true where id = ${extra.pending.session.sessionId}`.execute(tx);
      await sql`update auth.sessions set last_seen_at = now() - interval '1 day'
                 where id in (${extra.idleStaff.session.sessionId}, ${idlePatient.session.sessionId})`.execute(tx);
    });
    const everyone = [...Object.values(users), ...Object.values(extra), idlePatient];
    const recipients = everyone.map((u) => ({ sessionId: u.session.sessionId, userId: u.id }));
    // a session id paired with another user's id is nobody's live session
    recipients.push({ sessionId: users.attending.session.sessionId, userId: users.admin.id });
    const { one, many } = await serviceQuery(async (tx) => {
      const one = new Set<string>();
      for (const r of recipients) {
        const { rows } = await sql<{ live: boolean }>`select auth.session_is_live(${r.sessionId}::uuid, ${r.userId}::uuid, 30) as live`.execute(tx);
        if (rows[0].live) one.add(`${r.sessionId}/${r.userId}`);
      }
      const { rows } = await sql<{ ids: string[] }>`
        select auth.live_session_ids(${recipients.map((r) => r.sessionId)}::uuid[], ${recipients.map((r) => r.userId)}::uuid[], 30)::text[] as ids`.execute(tx);
      const liveIds = new Set(rows[0].ids);
      const many = new Set(recipients.filter((r) => liveIds.has(r.sessionId) && r.userId === everyone.find((u) => u.session.sessionId === r.sessionId)?.id).map((r) => `${r.sessionId}/${r.userId}`));
      return { one, many };
    });
    expect([...many].sort()).toEqual([...one].sort());
    for (const u of Object.values(extra)) expect(one.has(`${u.session.sessionId}/${u.id}`)).toBe(false);
    expect(one.has(`${users.attending.session.sessionId}/${users.attending.id}`)).toBe(true);
    expect(one.has(`${users.attending.session.sessionId}/${users.admin.id}`)).toBe(false);
    // a patient's idle session is still live (the idle rule is for staff)
    expect(one.has(`${idlePatient.session.sessionId}/${idlePatient.id}`)).toBe(true);

    const decide = (table: "vitals" | "care_messages", patient: string) =>
      asService("test", (tx) => authorizeDelivery(tx, table, patient, recipients.slice(0, everyone.length)));
    const allowed = async (table: "vitals" | "care_messages", patient: string) =>
      [...(await decide(table, patient)).entries()].filter(([, d]) => d.allowed).map(([s]) => s).sort();
    const sid = (u: TestUser) => u.session.sessionId;
    expect(await allowed("vitals", patients.C)).toEqual([sid(users.attending), sid(users.nurseGrant), sid(users.teamAndGrant)].sort());
    expect(await allowed("care_messages", patients.C)).toEqual([sid(users.attending), sid(users.teamAndGrant)].sort());
    expect(await allowed("vitals", patients.A)).toEqual([sid(users.attending), sid(users.nurseGrant), sid(users.patientA)].sort());
    expect(await allowed("vitals", patients.D)).toEqual([]);
    const decisions = await decide("vitals", patients.C);
    for (const u of Object.values(extra)) expect(decisions.get(sid(u))).toEqual({ live: false, allowed: false });
    const ended = await asService("test", (tx) => endedSessions(tx, recipients.slice(0, everyone.length)));
    // and the deactivated accounts' sessions
    const dead = [...Object.values(extra), users.deactivated, users.patientGone, users.grantDeactivated];
    expect([...ended].sort()).toEqual(dead.map(sid).sort());
  });
});
