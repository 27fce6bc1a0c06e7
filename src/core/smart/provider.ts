import { createPrivateKey } from "node:crypto";
import { sql } from "kysely";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { sha256Hex } from "../auth/tokens";
import { deriveKey } from "../config";
import { asService } from "../db/with-user";
import { trustedProxyHops } from "../http/client-address";
import { DatabaseAdapter } from "./oauth-adapter";
import { SUPPORTED_SCOPES } from "./scopes";
import { fhirBaseUrl, OAUTH_PREFIX, smartIssuer } from "./smart-urls";

/** Access tokens live an hour; refresh tokens 30 days, each used once (rotation). */
export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;

/**
 * The id-token signing key: Ed25519 from a seed derived from the root secret, so every
 * instance signs with the same key and nothing more needs storing.
 */
function signingJwk() {
  const seed = deriveKey("smart-id-token-signing");
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const jwk = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ format: "jwk" });
  return { ...jwk, alg: "EdDSA", use: "sig", kid: sha256Hex(String(jwk.x)).slice(0, 16) };
}

async function fhirUserOf(accountId: string): Promise<string | undefined> {
  const row = await asService("OAuth server: the FHIR resource of a signed-in user (fhirUser)", async (tx) => {
    const { rows } = await sql<{ role: string; patient_id: string | null }>`
      select u.role, (select p.id::text from public.patients p where p.user_id = u.id limit 1) as patient_id
        from auth.users u where u.id = ${accountId}::uuid`.execute(tx);
    return rows[0];
  });
  if (!row) return undefined;
  if (row.patient_id) return `${fhirBaseUrl()}/Patient/${row.patient_id}`;
  if (row.role === "provider") return `${fhirBaseUrl()}/Practitioner/${accountId}`;
  return undefined;
}

/** The launch patient of the grant behind an access token the token endpoint just issued. */
async function launchPatientOf(accessToken: string): Promise<string | null> {
  return asService("OAuth server: the launch patient of a new token", async (tx) => {
    const { rows } = await sql<{ patient_id: string | null }>`
      select g.patient_id::text as patient_id from app.oauth_payloads p join app.smart_grants g on g.grant_id = p.grant_id
       where p.model = 'AccessToken' and p.id_hash = ${sha256Hex(accessToken)}`.execute(tx);
    return rows[0]?.patient_id ?? null;
  });
}

function configuration(): Configuration {
  return {
    adapter: DatabaseAdapter,
    clients: [],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => {
        const fhirUser = await fhirUserOf(sub);
        return { sub, ...(fhirUser ? { fhirUser } : {}) };
      },
    }),
    claims: { openid: ["sub"], fhirUser: ["fhirUser"] },
    scopes: SUPPORTED_SCOPES,
    responseTypes: ["code"],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    clientDefaults: { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], id_token_signed_response_alg: "EdDSA", token_endpoint_auth_method: "none" },
    enabledJWA: { idTokenSigningAlgValues: ["EdDSA"] },
    jwks: { keys: [signingJwk()] },
    cookies: { keys: [deriveKey("smart-oauth-cookies").toString("base64url")] },
    interactions: { url: (_ctx, interaction) => `${OAUTH_PREFIX}/interaction/${interaction.uid}` },
    // every authorization asks the user (no silent re-approval from an earlier grant): only
    // the grant of the consent just given counts
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: ACCESS_TOKEN_SECONDS,
      AuthorizationCode: 60,
      RefreshToken: REFRESH_TOKEN_SECONDS,
      IdToken: 3600,
      Interaction: 15 * 60,
      Session: 15 * 60,
      Grant: REFRESH_TOKEN_SECONDS,
    },
    // browsers' apps: CORS only for the origins of the app's own redirect URIs
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((u) => new URL(u).origin === origin) ?? false,
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cannot connect the app</title></head><body><main><h1>The app could not be connected</h1><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ""))}</p><p><a href="/">Back to Carebase</a></p></main></body></html>`;
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const KEY = Symbol.for("carebase.smart.provider");

/** The OAuth server (one per process, issuer PUBLIC_URL + /oauth). */
export function smartProvider(): Provider {
  const g = globalThis as Record<symbol, { issuer: string; provider: Provider } | undefined>;
  const issuer = smartIssuer();
  const hit = g[KEY];
  if (hit && hit.issuer === issuer) return hit.provider;
  const provider = new Provider(issuer, configuration());
  provider.proxy = trustedProxyHops() > 0;
  // SMART's launch context in the token response: the patient the grant was made for
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    // Every authorization shows the consent page, so an app asking for offline_access (as
    // SMART apps do, without OpenID's prompt=consent) has asked for consent in effect.
    if (ctx.path === "/auth" && typeof ctx.query.scope === "string" && ctx.query.scope.split(" ").includes("offline_access") && ctx.query.prompt === undefined) {
      ctx.query = { ...ctx.query, prompt: "consent" };
      (ctx.req as { originalUrl?: string }).originalUrl = `${OAUTH_PREFIX}${ctx.request.url}`; // the mount path is read from it
    }
    await next();
    if (ctx.oidc?.route !== "token" || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body.access_token !== "string" || typeof body.scope !== "string") return;
    if (!body.scope.split(" ").includes("launch/patient")) return;
    const patient = await launchPatientOf(body.access_token);
    if (patient) ctx.body = { ...body, patient };
  });
  g[KEY] = { issuer, provider };
  return provider;
}
