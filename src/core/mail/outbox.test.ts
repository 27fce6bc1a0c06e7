/**
 * The outbox against a real SMTP server (smtp-server on loopback, mails parsed with
 * mailparser): a mail exists only if its transaction commits, is delivered once, survives
 * an SMTP outage, and two workers never send the same mail twice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createUser, serviceQuery } from "../../../tests/support/seed";
import { startTestSmtp, type TestSmtp } from "../../../tests/support/smtp";
import { asService, withUser } from "../db/with-user";
import { deliverDueMail, MAX_ATTEMPTS, retryDelaySeconds, smtpTransport } from "./deliver-due-mail";
import { enqueueMail } from "./enqueue-mail";
import { listOutbox } from "./list-outbox";
import { mailConfig, type MailConfig } from "./mail-config";

const rows = () =>
  serviceQuery(async (tx) => (await sql<{ id: string; status: string; attempts: number; due_in: number; last_error: string | null }>`
    select id, status, attempts, extract(epoch from next_attempt_at - now())::float8 as due_in, last_error
      from app.mail_outbox order by created_at`.execute(tx)).rows);
const makeDue = () => serviceQuery((tx) => sql`update app.mail_outbox set next_attempt_at = now() where status = 'pending'`.execute(tx));

describe("retry back-off", () => {
  it("retries first within 10 s, then less and less often, and gives up after about a day", () => {
    expect(retryDelaySeconds(1, () => 1)).toBeLessThanOrEqual(10);
    const delays = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds(i + 1, () => 0.5));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(6 * 3600);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(18);
    expect(total / 3600).toBeLessThan(30);
  });
});

describe.each(engines)("mail outbox, %s", (engine) => {
  let t: TestDatabase;
  let smtp: TestSmtp;
  let config: MailConfig;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    smtp = await startTestSmtp();
    config = { ...mailConfig({}), smtpUrl: smtp.url, publicUrl: "https://portal.clinic.test", clinicName: "Riverside Clinic" };
  });
  afterAll(async () => {
    await smtp.close();
    await t.drop();
  });
  beforeEach(async () => {
    smtp.mails.length = 0;
    await serviceQuery((tx) => sql`delete from app.mail_outbox`.execute(tx));
  });

  it("writes a mail only when the event's transaction commits, and the worker delivers it once", async () => {
    await expect(
      asService("test: an event that fails", async (tx) => {
        await enqueueMail(tx, { kind: "password_changed", to: "rolled@back.test", params: {} }, config);
        throw new Error("the event failed");
      }),
    ).rejects.toThrow("the event failed");
    expect(await rows()).toEqual([]);

    const id = await asService("test: an event", (tx) => enqueueMail(tx, { kind: "password_changed", to: "owner@home.test", params: {} }, config));
    const transport = smtpTransport(smtp.url);
    expect(await deliverDueMail(transport, { config })).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    transport.close?.();
    const mails = await smtp.waitFor(1);
    expect(mails).toHaveLength(1);
    expect(mails[0].messageId).toBe(`<${id}@portal.clinic.test>`);
    expect(mails[0].subject).toBe("Your Riverside Clinic password was changed");
    expect(mails[0].text).toContain("https://portal.clinic.test/forgot-password");
    expect((await rows())[0]).toMatchObject({ id, status: "sent", attempts: 1 });
  });

  it("keeps mail as held without SMTP_URL, and the worker leaves it alone", async () => {
    await asService("test: an event", (tx) => enqueueMail(tx, { kind: "mfa_enabled", to: "held@home.test", params: {} }, { ...config, smtpUrl: undefined }));
    const transport = smtpTransport(smtp.url);
    expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    transport.close?.();
    expect((await rows())[0]).toMatchObject({ status: "held", attempts: 0 });
    expect(smtp.mails).toHaveLength(0);
  });

  it("retries within 10 s while the SMTP server is down, and delivers exactly once when it is back", async () => {
    await asService("test: an event", (tx) => enqueueMail(tx, { kind: "mfa_enabled", to: "outage@home.test", params: {} }, config));
    await smtp.down();
    const transport = smtpTransport(smtp.url);
    try {
      expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 1, failed: 0 });
      const [row] = await rows();
      expect(row).toMatchObject({ status: "pending", attempts: 1 });
      expect(row.due_in).toBeGreaterThan(0);
      expect(row.due_in).toBeLessThanOrEqual(10);
      expect(row.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
      // not due yet: nothing is tried
      expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 0 });
      await smtp.up();
      await makeDue();
      expect(await deliverDueMail(transport, { config })).toEqual({ sent: 1, retrying: 0, failed: 0 });
      await makeDue();
      expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    } finally {
      transport.close?.();
      await smtp.up().catch(() => {});
    }
    await smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(1);
    expect((await rows())[0]).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("fails at once, without retrying, when the SMTP server refuses the mailbox for good (5xx)", async () => {
    await asService("test: an event", (tx) => enqueueMail(tx, { kind: "password_changed", to: "refused@home.test", params: {} }, config));
    const transport = smtpTransport(smtp.url);
    expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 1 });
    await makeDue();
    expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    transport.close?.();
    const [row] = await rows();
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row.last_error).toMatch(/550/);
    expect(smtp.mails).toHaveLength(0);
  });

  it("gives up after the last attempt", async () => {
    await asService("test: an event", (tx) => enqueueMail(tx, { kind: "password_changed", to: "late@home.test", params: {} }, config));
    await serviceQuery((tx) => sql`update app.mail_outbox set attempts = ${MAX_ATTEMPTS - 1}`.execute(tx));
    await smtp.down();
    const transport = smtpTransport(smtp.url);
    try {
      expect(await deliverDueMail(transport, { config })).toEqual({ sent: 0, retrying: 0, failed: 1 });
    } finally {
      transport.close?.();
      await smtp.up();
    }
    expect((await rows())[0]).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
  });

  it("never sends a mail twice with two workers delivering at once", async () => {
    const N = 30;
    await asService("test: many events", async (tx) => {
      for (let i = 0; i < N; i++) await enqueueMail(tx, { kind: "password_changed", to: `many-${i}@home.test`, params: {} }, config);
    });
    const worker = async () => {
      const transport = smtpTransport(smtp.url);
      let sent = 0;
      for (;;) {
        const r = await deliverDueMail(transport, { config, batch: 4 });
        sent += r.sent;
        if (r.sent + r.retrying + r.failed === 0) break;
      }
      transport.close?.();
      return sent;
    };
    const [a, b] = await Promise.all([worker(), worker()]);
    expect(a + b).toBe(N);
    await smtp.waitFor(N);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(N);
    expect(new Set(smtp.mails.map((m) => m.messageId)).size).toBe(N);
    expect(new Set(smtp.mails.map((m) => (Array.isArray(m.to) ? m.to[0] : m.to)?.text)).size).toBe(N);
    expect((await rows()).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("lets an aal2 admin read who was mailed and how delivery went, never the body; others see nothing", async () => {
    await asService("test: an event", (tx) => enqueueMail(tx, { kind: "mfa_reset", to: "seen@home.test", params: {} }, config));
    const admin = await createUser("admin");
    const seen = await withUser(admin.session, (tx) => sql<{ to_address: string }>`select to_address, status from app.mail_outbox`.execute(tx));
    expect(seen.rows.map((r) => r.to_address)).toEqual(["seen@home.test"]);
    const view = await listOutbox(admin.session);
    expect(view.entries).toMatchObject([{ kind: "mfa_reset", to_address: "seen@home.test", status: "pending", attempts: 0 }]);
    expect(JSON.stringify(view)).not.toContain("v1.");
    const noMfa = await createUser("admin", { aal: "aal1" });
    await expect(listOutbox(noMfa.session)).rejects.toMatchObject({ code: "mfa_required" });
    // and the database agrees: an aal1 admin acts as `authenticated`, which has no grant
    await expect(withUser(noMfa.session, (tx) => sql`select to_address from app.mail_outbox`.execute(tx))).rejects.toMatchObject({ code: "42501" });
    await expect(withUser(admin.session, (tx) => sql`select body_sealed from app.mail_outbox`.execute(tx))).rejects.toMatchObject({ code: "42501" });
    const provider = await createUser("provider");
    await expect(withUser(provider.session, (tx) => sql`select to_address from app.mail_outbox`.execute(tx))).rejects.toMatchObject({ code: "42501" });
  });
});
