import { authed } from "@/core/http/route";
import { validate } from "@/core/http/parse";
import { noContent } from "@/core/http/respond";
import { disconnectApp } from "@/core/smart/disconnect-app";
import { ZClientIdParam } from "@/core/smart/register-app.types";

export const dynamic = "force-dynamic";

/** Disconnects an app: every token it holds for the caller stops working at once. */
export const DELETE = authed<{ client_id: string }>(async ({ params, session, context }) => {
  const clientId = validate(ZClientIdParam, params.client_id, "client_id");
  await disconnectApp(session, clientId, context);
  return noContent();
});
