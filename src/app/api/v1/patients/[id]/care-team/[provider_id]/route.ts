import { authed } from "@/core/http/route";
import { noContent } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { removeCareTeamMember } from "@/core/clinical/care-team";

export const dynamic = "force-dynamic";

export const DELETE = authed<{ id: string; provider_id: string }>(async ({ params, session, context }) => {
  await removeCareTeamMember(session, parseId(params.id, "patient id"), parseId(params.provider_id, "provider id"), context);
  return noContent();
});
