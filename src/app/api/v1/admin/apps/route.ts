import { authed } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { requireAdmin } from "@/core/auth/require";
import { listApps } from "@/core/smart/list-apps";
import { registerApp } from "@/core/smart/register-app";
import { ZRegisterAppRequest } from "@/core/smart/register-app.types";

export const dynamic = "force-dynamic";

/** The registered outside apps (SMART on FHIR clients); admins with two factors. */
export const GET = authed(async ({ session, context }) => {
  requireAdmin(session);
  return json({ data: await listApps(session, context) });
});

/** Registers an app: 201 with its client_id (and client_secret, once, for a confidential app). */
export const POST = authed(async ({ req, session, context }) => {
  requireAdmin(session);
  const body = await parseJson(req, ZRegisterAppRequest);
  const { app, client_secret } = await registerApp(session, body, context);
  return json({ ...app, ...(client_secret ? { client_secret } : {}) }, 201);
});
