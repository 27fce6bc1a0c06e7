/**
 * Mailed links and account administration (issue #14) over the API, with mail delivered
 * through the outbox to a real SMTP server and every link read from the delivered mail:
 * email verification at provider sign-up, patient and staff invitations, resend, single
 * use and expiry, unlock, deactivation with a reason, the lockout message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery } from "../support/seed";
import { deliverAll, useClinicMail } from "../support/mail";
import { call, randomIp, STRONG_PASSWORD } from "./support";
import * as signupRoute from "@/app/api/v1/auth/signup/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as verifyEmailRoute from "@/app/api/v1/auth/email/verify/route";
import * as acceptInviteRoute from "@/app/api/v1/auth/invite/accept/route";
import * as usersRoute from "@/app/api/v1/admin/users/route";
import * as resendRoute from "@/app/api/v1/admin/users/[id]/invite/route";
import * as unlockRoute from "@/app/api/v1/admin/users/[id]/unlock/route";
import * as deactivateRoute from "@/app/api/v1/admin/users/[id]/deactivate/route";
import * as patientInviteRoute from "@/app/api/v1/patients/[id]/invite/route";

const signIn = (email: string, password: string) => call(tokenRoute.POST, "/api/v1/auth/token", { body: { email, password } });
const verifyEmail = (token: string) => call(verifyEmailRoute.POST, "/api/v1/auth/email/verify", { ip: randomIp(), body: { token } });
const acceptInvite = (token: string, password = STRONG_PASSWORD) => call(acceptInviteRoute.POST, "/api/v1/auth/invite/accept", { ip: randomIp(), body: { token, password } });
const listUsers = (token: string, search: string) => call(usersRoute.GET, `/api/v1/admin/users?search=${encodeURIComponent(search)}`, { token });

describe.each(engines)("mailed links and account administration, %s", (engine) => {
  let t: TestDatabase;
  const mail = useClinicMail();
  beforeAll(async () => {
    t = await installTestDatabase(engine);
  });
  afterAll(async () => {
    await t.drop();
  });

  /** Runs the worker until no mail is due; returns what arrived since the test began. */
  const deliver = () => deliverAll(mail.smtp);
  const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to[0] : m.to)?.text;
  function linkIn(m: ParsedMail, page: string, key: string): string {
    const re = new RegExp(`https://portal\\.clinic\\.test/${page}#${key}=([A-Za-z0-9_%-]+)`);
    const found = re.exec(m.text ?? "");
    expect(found, `the mail carries a /${page} link`).toBeTruthy();
    expect(m.text).not.toContain("?");
    return decodeURIComponent(found![1]);
  }

  describe("email verification", () => {
    it("a provider's sign-up mails a link; admins see the address unconfirmed, then confirmed; the link works once", async () => {
      const admin = await createUser("admin");
      const email = `dr-verify-${Date.now()}@home.test`;
      const res = await call(signupRoute.POST, "/api/v1/auth/signup", {
        body: { email, password: STRONG_PASSWORD, full_name: "Dr Vera Fy", role: "provider", credential: "physician", license_number: "MD-1234", specialty: "Cardiology" },
      });
      expect(res.status).toBe(201);
      // it does not block sign-in
      expect((await signIn(email, STRONG_PASSWORD)).status).toBe(200);
      const before = await listUsers(admin.accessToken, email);
      expect(before.body.data).toMatchObject([{ email, email_confirmed: false, verified: false }]);

      const mails = await deliver();
      expect(mails.map(to)).toEqual([email]);
      expect(mails[0].subject).toBe("Confirm your email address for Riverside Clinic");
      expect(mails[0].text).not.toContain("Vera");
      const token = linkIn(mails[0], "verify-email", "token");
      const stored = await serviceQuery(async (tx) => (await sql<{ token_hash: string }>`select token_hash from auth.email_link_tokens where purpose = 'verify_email' and user_id = ${res.body.user.id}`.execute(tx)).rows);
      expect(stored).toHaveLength(1);
      expect(stored[0].token_hash).not.toBe(token);

      const ok = await verifyEmail(token);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ email_confirmed: true });
      const after = await listUsers(admin.accessToken, email);
      expect(after.body.data).toMatchObject([{ email, email_confirmed: true }]);

      const again = await verifyEmail(token);
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe("invalid_link");
      const edited = await verifyEmail(`${token.slice(0, -2)}xx`);
      expect(edited.body.error).toEqual(again.body.error);
    });

    it("an expired link gets the same one answer", async () => {
      const email = `dr-late-${Date.now()}@home.test`;
      await call(signupRoute.POST, "/api/v1/auth/signup", {
        body: { email, password: STRONG_PASSWORD, full_name: "Dr Late", role: "provider", credential: "registered_nurse", license_number: "RN-1234", specialty: "Wards" },
      });
      const token = linkIn((await deliver())[0], "verify-email", "token");
      await serviceQuery((tx) => sql`update auth.email_link_tokens set expires_at = now() - interval '1 second' where purpose = 'verify_email'`.execute(tx));
      const late = await verifyEmail(token);
      expect(late.status).toBe(400);
      expect(late.body.error.code).toBe("invalid_link");
      expect(late.body.error.message).toMatch(/no longer valid/);
    });
  });

  describe("patient invitations by mail", () => {
    it("the care team mails the invitation (the clinic's name and a link, nothing clinical); the patient joins with the code from the mail", async () => {
      const doc = await createUser("provider");
      const patientId = await createPatient({ createdBy: doc.id, firstName: "Rosalind", lastName: "Quetzal" });
      const address = `rosalind-${Date.now()}@home.test`;
      const invite = await call(patientInviteRoute.POST, `/api/v1/patients/${patientId}/invite`, { token: doc.accessToken, params: { id: patientId }, body: { email: address } });
      expect(invite.status).toBe(201);
      expect(invite.body).toMatchObject({ mailed: true });
      const mails = await deliver();
      expect(mails.map(to)).toEqual([address]);
      const m = mails[0];
      expect(m.subject).toBe("Your invitation to the Riverside Clinic patient portal");
      for (const phi of ["Rosalind", "Quetzal", "1980", "penicillin"]) expect(`${m.subject}${m.text}${m.html}`.toLowerCase()).not.toContain(phi.toLowerCase());
      const code = linkIn(m, "sign-up", "invite_code");
      expect(code).toBe(invite.body.invite_code);

      const joined = await call(signupRoute.POST, "/api/v1/auth/signup", {
        body: { email: address, password: STRONG_PASSWORD, full_name: "Rosalind Quetzal", role: "patient", invite_code: code, date_of_birth: "1980-04-02" },
      });
      expect(joined.status).toBe(201);
      const linked = await serviceQuery((tx) => tx.selectFrom("patients").select("user_id").where("id", "=", patientId).executeTakeFirstOrThrow());
      expect(linked.user_id).toBe(joined.body.user.id);
    });

    it("someone off the care team can neither invite nor mail; nothing is queued", async () => {
      const doc = await createUser("provider");
      const stranger = await createUser("provider");
      const patientId = await createPatient({ createdBy: doc.id });
      const res = await call(patientInviteRoute.POST, `/api/v1/patients/${patientId}/invite`, { token: stranger.accessToken, params: { id: patientId }, body: { email: "x@home.test" } });
      expect(res.status).toBe(404);
      const queued = await serviceQuery(async (tx) => (await sql`select 1 from app.mail_outbox where to_address = 'x@home.test'`.execute(tx)).rows);
      expect(queued).toEqual([]);
    });
  });

  describe("staff invitations", () => {
    it("an admin invites a provider without a password; resend ends the first link; the invitee sets a password and signs in", async () => {
      const admin = await createUser("admin");
      const email = `nurse-${Date.now()}@home.test`;
      const created = await call(usersRoute.POST, "/api/v1/admin/users", {
        token: admin.accessToken,
        body: { email, full_name: "Nora Nurse", role: "provider", credential: "registered_nurse", license_number: "RN-55", specialty: "Ward" },
      });
      expect(created.status).toBe(201);
      expect(created.body.user).toMatchObject({ email, role: "provider", verified: true });
      expect(Date.parse(created.body.user.invite_expires_at) - Date.now()).toBeGreaterThan(71 * 3600_000);
      const listed = await listUsers(admin.accessToken, email);
      expect(listed.body.data).toMatchObject([{ email, invited: true, email_confirmed: false, credential: "registered_nurse" }]);

      const first = await deliver();
      expect(first.map(to)).toEqual([email]);
      expect(first[0].subject).toBe("You are invited to the Riverside Clinic portal");
      const firstToken = linkIn(first[0], "accept-invite", "token");

      mail.smtp.mails.length = 0;
      const resent = await call(resendRoute.POST, `/api/v1/admin/users/${created.body.user.id}/invite`, { token: admin.accessToken, params: { id: created.body.user.id } });
      expect(resent.status).toBe(200);
      const second = await deliver();
      expect(second.map(to)).toEqual([email]);
      const secondToken = linkIn(second[0], "accept-invite", "token");
      expect(secondToken).not.toBe(firstToken);

      const old = await acceptInvite(firstToken);
      expect(old.status).toBe(400);
      expect(old.body.error.code).toBe("invalid_link");
      const weak = await acceptInvite(secondToken, "short");
      expect(weak.status).toBe(422);

      const ok = await acceptInvite(secondToken);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ email });
      expect((await signIn(email, STRONG_PASSWORD)).status).toBe(200);
      const reused = await acceptInvite(secondToken, "another long passphrase here");
      expect(reused.status).toBe(400);
      expect(reused.body.error).toEqual(old.body.error);
      const after = await listUsers(admin.accessToken, email);
      expect(after.body.data).toMatchObject([{ email, invited: false, email_confirmed: true }]);
      const again = await call(resendRoute.POST, `/api/v1/admin/users/${created.body.user.id}/invite`, { token: admin.accessToken, params: { id: created.body.user.id } });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("not_invited");
    });

    it("nobody signs in to an invited account before the invitee chooses a password; an expired link is refused", async () => {
      const admin = await createUser("admin");
      const email = `admin2-${Date.now()}@home.test`;
      const created = await call(usersRoute.POST, "/api/v1/admin/users", { token: admin.accessToken, body: { email, full_name: "Second Admin", role: "admin" } });
      expect(created.status).toBe(201);
      const token = linkIn((await deliver())[0], "accept-invite", "token");
      expect((await signIn(email, "")).status).not.toBe(200);
      await serviceQuery((tx) => sql`update auth.email_link_tokens set expires_at = now() - interval '1 second' where user_id = ${created.body.user.id}`.execute(tx));
      const late = await acceptInvite(token);
      expect(late.status).toBe(400);
      expect(late.body.error.code).toBe("invalid_link");
    });

    it("only admins invite or resend; a provider is refused and nothing is mailed", async () => {
      const doc = await createUser("provider");
      const res = await call(usersRoute.POST, "/api/v1/admin/users", { token: doc.accessToken, body: { email: "sneaky@home.test", full_name: "Sneaky", role: "admin" } });
      expect(res.status).toBe(403);
      const admin = await createUser("admin");
      const resend = await call(resendRoute.POST, `/api/v1/admin/users/${admin.id}/invite`, { token: doc.accessToken, params: { id: admin.id } });
      expect(resend.status).toBe(403);
      // and the database refuses the definer function to anyone but an aal2 admin
      const { withUser } = await import("@/core/db/with-user");
      await expect(
        withUser(doc.session, (tx) => sql`select app.issue_staff_invite(${admin.id}::uuid, ${"a".repeat(64)}, 72, 's', 'v1.x', 'pending')`.execute(tx)),
      ).rejects.toMatchObject({ code: "42501" });
      expect(await deliver()).toEqual([]);
    });
  });

  describe("unlock, deactivate, lockout message", () => {
    it("a locked account says how long the lock lasts; the admin sees it locked and unlocks it", async () => {
      const admin = await createUser("admin");
      const user = await createUser("provider");
      for (let i = 0; i < 5; i++) expect((await signIn(user.email, `wrong guess ${i}`)).status).toBe(401);
      const locked = await signIn(user.email, "correct horse battery staple");
      expect(locked.status).toBe(429);
      expect(locked.body.error.message).toMatch(/locked for \d+ seconds/);
      const listed = await listUsers(admin.accessToken, user.email);
      expect(Date.parse(listed.body.data[0].locked_until)).toBeGreaterThan(Date.now());

      const doc = await createUser("provider");
      expect((await call(unlockRoute.POST, `/api/v1/admin/users/${user.id}/unlock`, { token: doc.accessToken, params: { id: user.id } })).status).toBe(403);
      const unlocked = await call(unlockRoute.POST, `/api/v1/admin/users/${user.id}/unlock`, { token: admin.accessToken, params: { id: user.id } });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toEqual({ id: user.id, was_locked: true });
      expect((await signIn(user.email, "correct horse battery staple")).status).toBe(200);
      expect((await listUsers(admin.accessToken, user.email)).body.data[0].locked_until).toBeNull();
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["actor_id", "record_id", "details"]).where("action", "=", "auth.account_unlocked").execute());
      expect(audit).toContainEqual(expect.objectContaining({ actor_id: admin.id, record_id: user.id }));
    });

    it("deactivation keeps the admin's reason in the audit trail; a too-short reason is refused", async () => {
      const admin = await createUser("admin");
      const user = await createUser("provider");
      const short = await call(deactivateRoute.POST, `/api/v1/admin/users/${user.id}/deactivate`, { token: admin.accessToken, params: { id: user.id }, body: { reason: "x" } });
      expect(short.status).toBe(422);
      const res = await call(deactivateRoute.POST, `/api/v1/admin/users/${user.id}/deactivate`, { token: admin.accessToken, params: { id: user.id }, body: { reason: "Left the clinic on Friday" } });
      expect(res.status).toBe(200);
      const audit = await serviceQuery((tx) => tx.selectFrom("audit_log").select(["record_id", "details"]).where("action", "=", "auth.user_deactivated").execute());
      const mine = audit.find((a) => a.record_id === user.id);
      expect(mine?.details).toMatchObject({ reason: "Left the clinic on Friday" });
    });
  });
});
