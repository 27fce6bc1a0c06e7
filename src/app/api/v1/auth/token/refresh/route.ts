import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { refreshSession } from "@/core/auth/refresh-session";
import { hit, ipKey } from "@/core/auth/rate-limit";
import { ZRefreshRequest } from "@/core/auth/token-requests.types";

/** Spends a refresh token for a new pair; a spent one revokes its whole session. */
export const POST = open(async ({ req, context }) => {
  const { refresh_token } = await parseJson(req, ZRefreshRequest);
  await hit("refresh_ip", ipKey(context), context);
  const { tokens } = await refreshSession(refresh_token, context);
  return json(tokens);
});
