/**
 * SMART on FHIR, the OAuth side, on both engines: an app connects through authorization
 * code + PKCE, and every bad request gets the standard OAuth error with nothing issued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { serviceQuery, sql } from "../support/seed";
import { seedClinic, type Clinic } from "../fhir/support";
import { ACCESS_COOKIE } from "@/core/auth/cookie-names";
import { APP_REDIRECT, authorize, connect, pkcePair, registerTestApp, startSmartServer, tokenRequest } from "./support";

describe.each(engines)("SMART OAuth flow (%s)", (engine) => {
  let t: TestDatabase;
  let c: Clinic;
  let server: Awaited<ReturnType<typeof startSmartServer>>;
  let clientId: string;
  beforeAll(async () => {
    t = await installTestDatabase(engine);
    c = await seedClinic();
    server = await startSmartServer();
    clientId = (await registerTestApp(c.admin.session)).app.client_id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.drop();
  });

  const codeFor = async (challenge: string, scope = "openid launch/patient patient/*.rs offline_access") => {
    const r = await authorize(server.origin, c.patientUser, { clientId, scope, challenge });
    const code = r.location?.searchParams.get("code");
    expect(code, `${r.status} ${r.location} ${r.body.slice(0, 200)}`).toBeTruthy();
    return code!;
  };
  const exchange = (code: string, verifier: string | undefined, redirectUri = APP_REDIRECT) =>
    tokenRequest(server.origin, { grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: clientId, ...(verifier ? { code_verifier: verifier } : {}) });

  it("serves SMART discovery", async () => {
    const res = await fetch(`${server.fhir}/.well-known/smart-configuration`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.code_challenge_methods_supported).toEqual(["S256"]);
    expect(body.token_endpoint).toBe(`${server.origin}/oauth/token`);
    expect(body.revocation_endpoint).toBe(`${server.origin}/oauth/token/revocation`);
    expect(body.capabilities).toEqual(expect.arrayContaining(["launch-standalone", "client-public", "client-confidential-symmetric", "context-standalone-patient", "permission-v2"]));
  });

  it("a patient connects an app: code + PKCE → tokens with the patient context and an id token naming the record", async () => {
    const tokens = await connect(server.origin, c.patientUser, clientId, "openid fhirUser launch/patient patient/*.rs offline_access");
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.patient).toBe(c.patientId);
    expect(tokens.scope.split(" ").sort()).toEqual(["fhirUser", "launch/patient", "offline_access", "openid", "patient/*.rs"]);
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split(".")[1], "base64url").toString());
    expect(claims.fhirUser).toBe(`${server.fhir}/Patient/${c.patientId}`);
    // the table holds no usable token
    const stored = await serviceQuery((tx) => sql<{ n: number }>`select count(*)::int as n from app.oauth_payloads where payload::text like ${`%${tokens.access_token}%`} or id_hash = ${tokens.access_token}`.execute(tx));
    expect(stored.rows[0].n).toBe(0);
  });

  it("the user narrows the scopes on the consent page; the token carries no more", async () => {
    const tokens = await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs patient/Observation.rs", ["launch/patient", "patient/Observation.rs"]);
    expect(tokens.scope.split(" ").sort()).toEqual(["launch/patient", "patient/Observation.rs"]);
  });

  it("PKCE is required: no code_challenge → invalid_request at the redirect URI, nothing issued", async () => {
    const r = await authorize(server.origin, c.patientUser, { clientId, scope: "patient/*.rs", challenge: null });
    expect(r.location?.origin + r.location!.pathname).toBe(APP_REDIRECT);
    expect(r.location?.searchParams.get("error")).toBe("invalid_request");
    expect(r.location?.searchParams.get("code")).toBeNull();
  });

  it("PKCE plain is refused", async () => {
    const r = await authorize(server.origin, c.patientUser, { clientId, scope: "patient/*.rs", challenge: "a".repeat(43), method: "plain" });
    expect(r.location?.searchParams.get("error")).toBe("invalid_request");
  });

  it("a missing or wrong code verifier → invalid_grant", async () => {
    const { challenge, verifier } = pkcePair();
    const code = await codeFor(challenge);
    expect((await exchange(code, undefined)).body.error).toBe("invalid_grant");
    const code2 = await codeFor(challenge);
    const wrong = await exchange(code2, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("invalid_grant");
    expect(wrong.body.access_token).toBeUndefined();
    expect(verifier).toBeTruthy();
  });

  it("a code works once; its reuse → invalid_grant and the tokens it gave are revoked", async () => {
    const { challenge, verifier } = pkcePair();
    const code = await codeFor(challenge);
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    const again = await exchange(code, verifier);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    const read = await fetch(`${server.fhir}/Patient/${c.patientId}`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect(read.status).toBe(401);
  });

  it("a redirect URI not registered → an error page, never a redirect there", async () => {
    const r = await authorize(server.origin, c.patientUser, { clientId, scope: "patient/*.rs", redirectUri: "http://localhost:9999/evil" });
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(r.body).toContain("redirect_uri");
  });

  it("a redirect URI at the token endpoint that differs from the authorization's → invalid_grant", async () => {
    const { challenge, verifier } = pkcePair();
    const code = await codeFor(challenge);
    const r = await exchange(code, verifier, "http://localhost:9999/other");
    expect(r.body.error).toBe("invalid_grant");
  });

  it("a scope the app was not registered for → invalid_scope", async () => {
    const narrow = (await registerTestApp(c.admin.session, { scopes: ["patient/Observation.rs"] })).app.client_id;
    const r = await authorize(server.origin, c.patientUser, { clientId: narrow, scope: "patient/MedicationRequest.rs" });
    expect(r.location?.searchParams.get("error")).toBe("invalid_scope");
  });

  it("the user refuses → access_denied at the redirect URI", async () => {
    const r = await authorize(server.origin, c.patientUser, { clientId, scope: "patient/*.rs", deny: true });
    expect(r.location?.searchParams.get("error")).toBe("access_denied");
  });

  it("the consent answer needs the user's portal session and our own origin (no cross-site approval)", async () => {
    const q = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: APP_REDIRECT, scope: "patient/*.rs", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
    const start = await fetch(`${server.origin}/oauth/auth?${q}`, { redirect: "manual" });
    const uid = start.headers.get("location")!.split("/").pop()!;
    const cookies = start.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const post = (headers: Record<string, string>) =>
      fetch(`${server.origin}/oauth/interaction/${uid}/confirm`, { method: "POST", redirect: "manual", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ scopes: ["patient/*.rs"] }) });
    const crossSite = await post({ cookie: `${cookies}; ${ACCESS_COOKIE}=${c.patientUser.accessToken}`, origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const noSession = await post({ cookie: cookies, origin: server.origin, "sec-fetch-site": "same-origin" });
    expect(noSession.status).toBe(401);
    const page = await fetch(`${server.origin}/oauth/interaction/${uid}`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(`/oauth/consent/${uid}`);
  });

  it("refresh tokens rotate; a reused one → invalid_grant and every token of the grant is revoked", async () => {
    const tokens = await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs offline_access");
    const r1 = await tokenRequest(server.origin, { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).toBeTruthy();
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(r1.body.patient).toBe(c.patientId);
    const ok = await fetch(`${server.fhir}/Patient/${c.patientId}`, { headers: { authorization: `Bearer ${r1.body.access_token}` } });
    expect(ok.status).toBe(200);
    // the old refresh token again: reuse detected
    const reuse = await tokenRequest(server.origin, { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe("invalid_grant");
    // the newest refresh token and access token are dead too
    const r2 = await tokenRequest(server.origin, { grant_type: "refresh_token", refresh_token: r1.body.refresh_token, client_id: clientId });
    expect(r2.body.error).toBe("invalid_grant");
    const dead = await fetch(`${server.fhir}/Patient/${c.patientId}`, { headers: { authorization: `Bearer ${r1.body.access_token}` } });
    expect(dead.status).toBe(401);
  });

  it("revocation: the app revokes its refresh token → the connection ends", async () => {
    const tokens = await connect(server.origin, c.patientUser, clientId, "launch/patient patient/*.rs offline_access");
    const res = await fetch(`${server.origin}/oauth/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token!, client_id: clientId }).toString(),
    });
    expect(res.status).toBe(200);
    const dead = await fetch(`${server.fhir}/Patient/${c.patientId}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(dead.status).toBe(401);
    const r = await tokenRequest(server.origin, { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(r.body.error).toBe("invalid_grant");
  });

  it("a confidential app authenticates with its secret; a wrong secret → invalid_client", async () => {
    const reg = await registerTestApp(c.admin.session, { confidential: true, name: "Clinic Dashboard" });
    const id = reg.app.client_id;
    const { challenge, verifier } = pkcePair();
    const r = await authorize(server.origin, c.patientUser, { clientId: id, scope: "launch/patient patient/*.rs", challenge });
    const code = r.location!.searchParams.get("code")!;
    const bad = await tokenRequest(server.origin, { grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT, code_verifier: verifier }, { id, secret: "wrong" });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe("invalid_client");
    const { challenge: ch2, verifier: v2 } = pkcePair();
    const r2 = await authorize(server.origin, c.patientUser, { clientId: id, scope: "launch/patient patient/*.rs", challenge: ch2 });
    const good = await tokenRequest(server.origin, { grant_type: "authorization_code", code: r2.location!.searchParams.get("code")!, redirect_uri: APP_REDIRECT, code_verifier: v2 }, { id, secret: reg.client_secret! });
    expect(good.status).toBe(200);
    expect(good.body.patient).toBe(c.patientId);
  });

  it("CORS: the token endpoint and /fhir/R4 answer the app's origin, not others", async () => {
    const pre = await fetch(`${server.fhir}/Patient`, { method: "OPTIONS", headers: { origin: "http://localhost:9999", "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://localhost:9999");
    const other = await fetch(`${server.fhir}/Patient`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const { challenge, verifier } = pkcePair();
    const code = await codeFor(challenge);
    const res = await fetch(`${server.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:9999" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: APP_REDIRECT, client_id: clientId, code_verifier: verifier }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:9999");
  });
});
