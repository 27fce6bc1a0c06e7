import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { setUserActive } from "@/core/auth/deactivate-user";

/** Deactivates an account; its sessions die at once. */
export const POST = authed<{ id: string }>(async ({ params, session, context }) => {
  const id = parseId(params.id);
  return json(await setUserActive(session, id, false, context));
});
