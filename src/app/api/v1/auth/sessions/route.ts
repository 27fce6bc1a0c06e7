import { authed } from "@/core/http/route";
import { json, noContent } from "@/core/http/respond";
import { listActiveSessions } from "@/core/auth/list-active-sessions";
import { signOutEverywhere } from "@/core/auth/sign-out";
import { clearedSessionCookies, isHttps, withCookies } from "@/core/auth/cookies";

/** The caller's active sessions. */
export const GET = authed(async ({ session, context }) => json({ data: await listActiveSessions(session, context) }));

/** "Sign out everywhere", this session included. */
export const DELETE = authed(async ({ req, session, context }) => {
  await signOutEverywhere(session, context);
  return withCookies(noContent(), clearedSessionCookies(isHttps(req)));
});
