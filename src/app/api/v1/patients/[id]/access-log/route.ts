import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId } from "@/core/http/parse";
import { getAccessLog, parseAccessLogQuery } from "@/core/audit/get-access-log";

export const dynamic = "force-dynamic";

/** GET /api/v1/patients/{id}/access-log?cursor=&limit=&others_only=true|false (the patient themself, or an admin) */
export const GET = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const page = parseAccessLogQuery(req.url);
  return json(await getAccessLog(session, id, page, context));
});
