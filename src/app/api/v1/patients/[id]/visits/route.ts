import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { createVisit, listVisits } from "@/core/clinical/visits";
import { ZCreateVisitRequest } from "@/core/clinical/visits.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json({ data: await listVisits(session, parseId(params.id, "patient id"), context) });
});

export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZCreateVisitRequest);
  return json(await createVisit(session, id, input, context), 201);
});
