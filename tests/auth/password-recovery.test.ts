/**
 * Password recovery over the API, with mail through the outbox to a real SMTP server:
 * forgot → mail → reset end to end (the link is read from the delivered mail), no
 * enumeration, single use, expiry, throttles.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { deliverAll, useClinicMail } from "../support/mail";
import { call, randomIp, STRONG_PASSWORD } from "./support";
import * as forgotRoute from "@/app/api/v1/auth/password/forgot/route";
import * as resetRoute from "@/app/api/v1/auth/password/reset/route";
import * as tokenRoute from "@/app/api/v1/auth/token/route";
import * as userRoute from "@/app/api/v1/auth/user/route";

const forgot = (email: string, ip = randomIp()) => call(forgotRoute.POST, "/api/v1/auth/password/forgot", { ip, body: { email } });
const reset = (token: string, password = STRONG_PASSWORD, ip = randomIp()) => call(resetRoute.POST, "/api/v1/auth/password/reset", { ip, body: { token, password } });
const signIn = (email: string, password: string) => call(tokenRoute.POST, "/api/v1/auth/token", { body: { email, password } });
const me = (token: string) => call(userRoute.GET, "/api/v1/auth/user", { token });

describe.each(engines)("password recovery, %s", (engine) => {
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
  function tokenFrom(m: ParsedMail): string {
    const link = /https:\/\/portal\.clinic\.test\/reset-password#token=([A-Za-z0-9_-]+)/.exec(m.text ?? "");
    expect(link, "the mail carries a reset link").toBeTruthy();
    return decodeURIComponent(link![1]);
  }

  it("forgot → mail → reset: the link works, every session is revoked, the new password signs in, the owner is told", async () => {
    const user = await createUser("patient");
    const res = await forgot(user.email);
    expect(res.status).toBe(202);
    const mails = await deliver();
    expect(mails.map(to)).toEqual([user.email]);
    const m = mails[0];
    expect(m.subject).toBe("Reset your Riverside Clinic password");
    expect(m.text).not.toMatch(/reset-password\?/);
    const token = tokenFrom(m);
    // only the token's SHA-256 is stored
    const stored = await serviceQuery(async (tx) => (await sql<{ token_hash: string; minutes: number }>`
      select token_hash, extract(epoch from expires_at - created_at)::float8 / 60 as minutes from auth.password_reset_tokens where user_id = ${user.id}`.execute(tx)).rows);
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).not.toContain(token);
    expect(stored[0].minutes).toBeCloseTo(30, 0);

    expect((await me(user.accessToken)).status).toBe(200);
    const done = await reset(token);
    expect(done.status).toBe(200);
    expect(done.body.revoked_sessions).toBeGreaterThanOrEqual(1);
    expect((await me(user.accessToken)).status).toBe(401);
    expect((await signIn(user.email, TEST_PASSWORD)).status).toBe(401);
    expect((await signIn(user.email, STRONG_PASSWORD)).status).toBe(200);
    const notices = await deliver();
    expect(notices.map((n) => n.subject)).toEqual(["Reset your Riverside Clinic password", "Your Riverside Clinic password was changed"]);
  });

  it("answers an unknown or deactivated email exactly as a known one, and mails nothing", async () => {
    const known = await createUser("provider");
    const inactive = await createUser("provider");
    await serviceQuery((tx) => sql`update auth.users set is_active = false where id = ${inactive.id}`.execute(tx));
    const a = await forgot(known.email);
    const b = await forgot(`nobody-${Date.now()}@home.test`);
    const c = await forgot(inactive.email);
    for (const r of [b, c]) {
      expect(r.status).toBe(a.status);
      expect(r.body).toEqual(a.body);
      expect([...r.headers.keys()].sort()).toEqual([...a.headers.keys()].sort());
    }
    expect((await deliver()).map(to)).toEqual([known.email]);
  });

  it("takes comparable time for known and unknown emails", async () => {
    const known = await createUser("patient");
    const time = async (email: string) => {
      const s = performance.now();
      expect((await forgot(email)).status).toBe(202);
      return performance.now() - s;
    };
    const k: number[] = [];
    const u: number[] = [];
    for (let i = 0; i < 4; i++) {
      k.push(await time(known.email));
      u.push(await time(`ghost-${i}-${Date.now()}@home.test`));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    // the known path adds two inserts and an audit record: a few milliseconds, not a tell at this scale
    expect(Math.abs(median(k) - median(u))).toBeLessThan(40);
    await deliver();
  });

  it("a link works once; a used, expired or edited link gets one clear error; a weak password keeps the link usable", async () => {
    const user = await createUser("patient");
    await forgot(user.email);
    const token = tokenFrom((await deliver())[0]);

    const weak = await reset(token, "password");
    expect(weak.status).toBe(422);
    expect(weak.body.error.code).toBe("weak_password");

    const edited = await reset(`${token.slice(0, -2)}xy`);
    expect(edited.status).toBe(400);
    expect(edited.body.error.code).toBe("invalid_reset_token");

    expect((await reset(token)).status).toBe(200);
    const reused = await reset(token, "another long passphrase here");
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual(edited.body);

    await forgot(user.email);
    const late = tokenFrom((await deliver()).find((m) => m.subject?.startsWith("Reset"))!);
    await serviceQuery((tx) => sql`update auth.password_reset_tokens set expires_at = now() - interval '1 second' where user_id = ${user.id} and used_at is null`.execute(tx));
    const expired = await reset(late);
    expect(expired.status).toBe(400);
    expect(expired.body).toEqual(edited.body);
    expect(expired.body.error.message).toMatch(/no longer valid/);
  });

  it("a newer link does not outlive the reset: every other link of the account stops working", async () => {
    const user = await createUser("patient");
    await forgot(user.email);
    await forgot(user.email);
    const [first, second] = (await deliver()).map(tokenFrom);
    expect((await reset(second)).status).toBe(200);
    expect((await reset(first)).status).toBe(400);
  });

  it("throttles requests per email (known or not alike) and wrong tokens per token", async () => {
    const user = await createUser("patient");
    const ghost = `ghost-${Date.now()}@home.test`;
    for (const email of [user.email, ghost]) {
      for (let i = 0; i < 5; i++) expect((await forgot(email)).status).toBe(202);
      const over = await forgot(email);
      expect(over.status).toBe(429);
      expect(over.headers.get("retry-after")).toBeTruthy();
    }
    await deliver();
    const wrong = "not-a-real-token-at-all";
    for (let i = 0; i < 10; i++) expect((await reset(wrong)).status).toBe(400);
    expect((await reset(wrong)).status).toBe(429);
    // per IP as well: one address trying many tokens
    const ip = randomIp();
    for (let i = 0; i < 10; i++) expect((await reset(`guess-${i}`, STRONG_PASSWORD, ip)).status).toBe(400);
    expect((await reset("guess-last", STRONG_PASSWORD, ip)).status).toBe(429);
  });
});
