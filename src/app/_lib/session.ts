import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { authenticateAccessToken } from "@/core/auth/authenticate-access-token";
import type { Session } from "@/core/auth/session-types";
import { AppError } from "@/core/errors";
import { ACCESS_COOKIE } from "@/core/http/route";

/**
 * The signed-in user of the page being rendered, from the HttpOnly access cookie (the
 * proxy has already refreshed it silently when it had expired), or null. Checks the
 * session in the database like every API request: revoked, idle, or deactivated is null.
 */
export async function currentSession(): Promise<Session | null> {
  const token = (await cookies()).get(ACCESS_COOKIE)?.value;
  if (!token) return null;
  try {
    return await authenticateAccessToken(token);
  } catch (e) {
    if (e instanceof AppError && e.status === 401) return null;
    throw e;
  }
}

/**
 * The session, or a redirect to /sign-in. With `roles`, other roles go to the home page.
 * A session that must enrol in MFA first (clinic setting) goes to /account unless the
 * caller says it serves that page (`allowMfaPending`): the decision never reads a request
 * header, which a client can send. Redirects are UX; withUser refuses pending sessions and
 * the database (RLS) remains the gate.
 */
export async function requireSession(roles?: Session["role"][], opts: { allowMfaPending?: boolean } = {}): Promise<Session> {
  const session = await currentSession();
  if (!session) redirect("/sign-in");
  if (roles && !roles.includes(session.role)) redirect("/");
  if (session.mfaPending && !opts.allowMfaPending) redirect("/account?mfa=required");
  return session;
}
