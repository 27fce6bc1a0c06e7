/**
 * Issue #12, items 1–4 and 12: the session rules are decided by the database, so every
 * channel inherits them. Each block names the side door it closes; each assertion failed
 * before the change (an aal1 admin read every chart, a pending session got a realtime feed,
 * an idle staff socket kept receiving, the token's claims were believed, sockets were
 * unlimited).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { withUser } from "@/core/db/with-user";
import { authenticateAccessToken } from "@/core/auth/authenticate-access-token";
import { signAccessToken } from "@/core/auth/tokens";
import type { Session } from "@/core/auth/session-types";
import { AppError } from "@/core/errors";
import { CLOSE_SESSION_ENDED } from "@/core/realtime/hub";
import { call } from "../support/http";
import * as patientRoute from "@/app/api/v1/patients/[id]/route";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as adminUsersRoute from "@/app/api/v1/admin/users/route";
import { Client, settle, startInstance, type TestInstance } from "../realtime/support";

async function errorOf(p: Promise<unknown>): Promise<{ status: number; code: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof AppError) return { status: e.status, code: e.code };
    throw e;
  }
}

const patientsSeen = (session: Session) =>
  withUser(session, async (tx) => (await tx.selectFrom("patients").select("id").execute()).length);

async function markPending(u: TestUser): Promise<Session> {
  await serviceQuery((tx) => tx.updateTable("auth.sessions").set({ mfa_pending: true }).where("id", "=", u.session.sessionId).execute());
  return { ...u.session, mfaPending: true };
}

describe.each(engines)("session rules decided by the database on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser;
  let adminAal2: TestUser;
  let adminAal1: TestUser;
  let patientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    attending = await createUser("provider");
    adminAal2 = await createUser("admin");
    adminAal1 = await createUser("admin", { aal: "aal1" });
    patientId = await createPatient({ createdBy: attending.id });
    await addToCareTeam(patientId, attending.id, "attending");
  });
  afterAll(async () => {
    await t?.drop();
  });

  describe("1. an admin without two factors reads no PHI", () => {
    it("an aal2 admin reads charts; an aal1 admin session reads none, through withUser and over HTTP", async () => {
      expect(await patientsSeen(adminAal2.session)).toBeGreaterThan(0);
      expect(await patientsSeen(adminAal1.session)).toBe(0);
      const one = await call(patientRoute.GET, { token: adminAal1.accessToken, params: { id: patientId } });
      expect(one.status).toBe(404);
      const list = await call(patientsRoute.GET, { token: adminAal1.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([]);
    });

    it("claiming aal2 for an aal1 session row is refused by the database (withUser) and ignored by token checks", async () => {
      const lying: Session = { ...adminAal1.session, aal: "aal2" };
      expect(await errorOf(patientsSeen(lying))).toEqual({ status: 403, code: "mfa_required" });
      // a validly signed token that says aal2 for an aal1 session: the row wins
      const forged = await signAccessToken(lying);
      expect((await authenticateAccessToken(forged)).aal).toBe("aal1");
      const admin = await call(adminUsersRoute.GET, { token: forged });
      expect(admin.status).toBe(403);
      expect(admin.body.error.code).toBe("mfa_required");
    });

    it("app.i_am_admin() is false for an aal1 session even when a caller sets the app_admin role itself", async () => {
      const seen = await serviceQuery(async (tx) => {
        const claims = { sub: adminAal1.id, role: "app_admin", app_role: "admin", session_id: adminAal1.session.sessionId, aal: "aal2" };
        await sql`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('role', 'app_admin', true)`.execute(tx);
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from public.patients`.execute(tx);
        return rows[0].n;
      });
      expect(seen).toBe(0);
    });
  });

  describe("2. an MFA-pending session gets nothing anywhere", () => {
    it("withUser refuses it before any statement runs", async () => {
      const pendingUser = await createUser("provider");
      const pending = await markPending(pendingUser);
      expect(await errorOf(patientsSeen(pending))).toEqual({ status: 403, code: "mfa_required" });
      // a caller that forgets the flag is refused by the database from the session row
      expect(await errorOf(patientsSeen(pendingUser.session))).toEqual({ status: 403, code: "mfa_required" });
      // the token check reports it from the row, whatever the token says
      expect((await authenticateAccessToken(pendingUser.accessToken)).mfaPending).toBe(true);
    });
  });

  describe("4. token claims are checked against the session row", () => {
    it("a token whose role disagrees with the account is refused, also while the session is cached", async () => {
      const provider = await createUser("provider");
      await authenticateAccessToken(provider.accessToken); // warms the 1 s cache
      const asAdmin = await signAccessToken({ ...provider.session, role: "admin", aal: "aal2" });
      expect(await errorOf(authenticateAccessToken(asAdmin))).toEqual({ status: 401, code: "invalid_token" });
      const r = await call(adminUsersRoute.GET, { token: asAdmin });
      expect(r.status).toBe(401);
    });

    it("a revoked session is refused by withUser at once, even with a warm cache", async () => {
      const provider = await createUser("provider");
      const session = await authenticateAccessToken(provider.accessToken);
      await serviceQuery((tx) =>
        tx.updateTable("auth.sessions").set({ revoked_at: new Date(), revoke_reason: "test" }).where("id", "=", provider.session.sessionId).execute(),
      );
      expect(await errorOf(patientsSeen(session))).toEqual({ status: 401, code: "session_revoked" });
    });

    it("an idle staff session is refused by withUser; a patient's is not", async () => {
      const provider = await createUser("provider");
      const patient = await createUser("patient");
      await serviceQuery((tx) =>
        tx
          .updateTable("auth.sessions")
          .set({ last_seen_at: sql<Date>`now() - interval '1 hour'` })
          .where("id", "in", [provider.session.sessionId, patient.session.sessionId])
          .execute(),
      );
      expect(await errorOf(patientsSeen(provider.session))).toEqual({ status: 401, code: "session_revoked" });
      expect(await patientsSeen(patient.session)).toBe(0);
    });
  });

  describe("realtime: 2. pending sessions, 3. idle sockets, 12. caps", () => {
    let rt: TestInstance;
    const open: Client[] = [];
    beforeAll(async () => {
      rt = await startInstance(t.db, { maxSocketsPerSession: 3, maxSocketsPerUser: 4 });
    });
    afterAll(async () => {
      for (const c of open) c.close();
      await rt?.stop();
    });
    const connect = async (token: string) => {
      const c = await Client.connect(rt.url, token);
      open.push(c);
      return c;
    };

    it("refuses the upgrade of an MFA-pending session (403)", async () => {
      const u = await createUser("provider");
      await markPending(u);
      expect(await Client.refused(rt.url, u.accessToken)).toBe(403);
    });

    it("closes an idle staff socket with 4001 at the next session check, and keeps a patient's", async () => {
      const provider = await createUser("provider");
      const patient = await createUser("patient");
      const staffSocket = await connect(provider.accessToken);
      const patientSocket = await connect(patient.accessToken);
      await serviceQuery((tx) =>
        tx
          .updateTable("auth.sessions")
          .set({ last_seen_at: sql<Date>`now() - interval '1 hour'` })
          .where("id", "in", [provider.session.sessionId, patient.session.sessionId])
          .execute(),
      );
      await rt.hub.checkSessions();
      expect(await staffSocket.waitClosed()).toBe(CLOSE_SESSION_ENDED);
      await settle(100);
      expect(patientSocket.closeCode).toBeUndefined();
    });

    it("a subscription attempt by a session that ended closes the socket (4001) instead of answering", async () => {
      const provider = await createUser("provider");
      const pid = await createPatient({ createdBy: provider.id });
      const socket = await connect(provider.accessToken);
      await serviceQuery((tx) =>
        tx.updateTable("auth.sessions").set({ revoked_at: new Date(), revoke_reason: "test" }).where("id", "=", provider.session.sessionId).execute(),
      );
      socket.send({ type: "subscribe", topic: `patient:${pid}:chart` });
      expect(await socket.waitClosed()).toBe(CLOSE_SESSION_ENDED);
    });

    it("caps sockets per session and per user with a clear 429", async () => {
      const u = await createUser("provider");
      for (let i = 0; i < 3; i++) await connect(u.accessToken);
      expect(await Client.refused(rt.url, u.accessToken)).toBe(429);
      // a second session of the same user may open one more (the per-user cap is 4), then no more
      const again = await serviceQuery(async (tx) => {
        const { startSession } = await import("@/core/auth/start-session");
        return startSession(tx, { id: u.id, role: "provider" }, "aal1", {});
      });
      await connect(again.tokens.access_token);
      expect(await Client.refused(rt.url, again.tokens.access_token)).toBe(429);
      // closing one frees its place
      open[open.length - 1].close();
      await settle(200);
      await connect(again.tokens.access_token);
    });
  });
});
