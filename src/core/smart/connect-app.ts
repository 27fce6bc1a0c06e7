import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { sessionMaxSeconds } from "../auth/start-session";
import { asService, withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { clientMetadata } from "./client-metadata";
import { DatabaseAdapter } from "./oauth-adapter";
import { revokeConnections } from "./revoke-grant-connection";
import { describeScope, parseClinicalScope } from "./scopes";

/** A patient's app connection lasts until disconnected (or 90 days unused by its refresh token's rotation). */
export const PATIENT_APP_SESSION_DAYS = 90;

export interface ConsentRequest {
  uid: string;
  clientId: string;
  appName: string;
  /** What the app asks for, in the order asked, with plain words; `available` false: not for this user. */
  scopes: { scope: string; words: string; available: boolean }[];
}

/** The signed-in user's own patient record (their launch context), if they have one. */
async function ownPatientId(session: Session, context: RequestContext): Promise<string | null> {
  return withUser(session, async (tx) => {
    const { rows } = await sql<{ id: string }>`select id::text as id from public.patients where user_id = ${session.userId}::uuid limit 1`.execute(tx);
    return rows[0]?.id ?? null;
  }, context);
}

/**
 * What an authorization in progress (uid) asks of the signed-in user, for the consent page.
 * Patient-context scopes need a patient record of the user's own (Carebase has no patient
 * picker for clinicians: they connect apps with user/… scopes).
 */
export async function getConsentRequest(session: Session, uid: string, context: RequestContext = {}): Promise<ConsentRequest> {
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(uid)) throw new NotFoundError("authorization request");
  const interaction = await new DatabaseAdapter("Interaction").find(uid);
  const params = interaction?.params as { client_id?: string; scope?: string } | undefined;
  if (!params?.client_id) throw new NotFoundError("authorization request");
  const client = await clientMetadata(params.client_id);
  if (!client) throw new NotFoundError("authorization request");
  const patientId = await ownPatientId(session, context);
  const requested = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
  return {
    uid,
    clientId: params.client_id,
    appName: String(client.client_name),
    scopes: requested.map((scope) => ({
      scope,
      words: describeScope(scope),
      available: patientId !== null || !(scope === "launch/patient" || parseClinicalScope(scope)?.context === "patient"),
    })),
  };
}

/**
 * The user approved `chosen` (a subset of what the app asked for): the connection is made.
 * An earlier connection of the same user to the same app ends (its tokens with it). The
 * app gets a session of its own, at the aal of the session that approved, which every
 * token of this grant acts through: withUser, RLS and the session rules apply as to the
 * user (a clinician's lasts as long as a sign-in and ends when idle; a patient's 90 days).
 * Returns the grant id the OAuth server issues the code under.
 */
export async function connectApp(
  session: Session,
  request: ConsentRequest,
  chosen: string[],
  saveGrant: (scopes: string[], rejected: string[]) => Promise<string>,
  context: RequestContext = {},
): Promise<{ grantId: string; scopes: string[] }> {
  const offered = new Set(request.scopes.filter((s) => s.available).map((s) => s.scope));
  const scopes = [...new Set(chosen)].filter((s) => offered.has(s));
  const patientId = await ownPatientId(session, context);
  const lifetimeSeconds = session.role === "patient" ? PATIENT_APP_SESSION_DAYS * 24 * 3600 : sessionMaxSeconds();
  const grantId = await saveGrant(scopes, request.scopes.map((s) => s.scope).filter((s) => !scopes.includes(s)));
  await asService("connect an app the user approved", async (tx) => {
    await revokeConnections(tx, { userId: session.userId, clientId: request.clientId }, "app connection replaced");
    const { rows } = await sql<{ id: string }>`
      insert into auth.sessions (user_id, aal, expires_at, ip, user_agent)
      values (${session.userId}::uuid, ${session.aal}, now() + make_interval(secs => ${lifetimeSeconds}), ${context.ip ?? null}, ${`App: ${request.appName}`.slice(0, 512)})
      returning id::text as id`.execute(tx);
    await sql`insert into app.smart_grants (user_id, client_id, grant_id, session_id, scopes, patient_id)
              values (${session.userId}::uuid, ${request.clientId}, ${grantId}, ${rows[0].id}::uuid, ${scopes.length ? scopes : ["openid"]}::text[], ${patientId}::uuid)`.execute(tx);
  }, context);
  return { grantId, scopes };
}
