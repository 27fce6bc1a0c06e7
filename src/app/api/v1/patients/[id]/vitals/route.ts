import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseQuery } from "@/core/http/parse";
import { getVitals } from "@/core/vitals/get-vitals";
import { ZGetVitalsQuery } from "@/core/vitals/get-vitals.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  return json(await getVitals(session, id, parseQuery(req, ZGetVitalsQuery), context));
});
