import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { getPatient, updatePatient } from "@/core/clinical/patients";
import { ZUpdatePatientRequest } from "@/core/clinical/patients.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json(await getPatient(session, parseId(params.id, "patient id"), context));
});

export const PATCH = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZUpdatePatientRequest);
  return json(await updatePatient(session, id, input, context));
});
