import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { addCareTeamMember, listCareTeam } from "@/core/clinical/care-team";
import { ZAddCareTeamMemberRequest } from "@/core/clinical/care-team.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json({ data: await listCareTeam(session, parseId(params.id, "patient id"), context) });
});

export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZAddCareTeamMemberRequest);
  return json(await addCareTeamMember(session, id, input, context), 201);
});
