import { authed } from "@/core/http/route";
import { parseJson, parseQuery } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { createUserByAdmin, listUsers, ZCreateUserRequest, ZListUsersQuery } from "@/core/auth/admin-users";
import { requireAdmin } from "@/core/auth/require";

export const GET = authed(async ({ req, session, context }) => {
  requireAdmin(session);
  return json(await listUsers(session, parseQuery(req, ZListUsersQuery), context));
});

/** Admins create admins and verified providers. */
export const POST = authed(async ({ req, session, context }) => {
  requireAdmin(session);
  const body = await parseJson(req, ZCreateUserRequest);
  return json({ user: await createUserByAdmin(session, body, context) }, 201);
});
