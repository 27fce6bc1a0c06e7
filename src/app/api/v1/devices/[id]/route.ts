import { authed } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { revokeDevice } from "@/core/vitals/revoke-device";

export const dynamic = "force-dynamic";

/** Revokes the device: its token is refused from the next batch on. */
export const DELETE = authed<{ id: string }>(async ({ params, session, context }) => {
  await revokeDevice(session, parseId(params.id, "device id"), context);
  return noContent();
});
