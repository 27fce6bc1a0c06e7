import { authed } from "@/core/http/route";
import { parseQuery } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { listProviders, ZListProvidersQuery } from "@/core/auth/verify-provider";
import { requireAdmin } from "@/core/auth/require";

/** `?status=pending` lists providers waiting for verification, with license number and specialty. */
export const GET = authed(async ({ req, session, context }) => {
  requireAdmin(session);
  return json(await listProviders(session, parseQuery(req, ZListProvidersQuery), context));
});
