import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseJson, parseQuery } from "@/core/http/parse";
import { createPatient, listPatients } from "@/core/clinical/patients";
import { ZCreatePatientRequest, ZListPatientsQuery } from "@/core/clinical/patients.types";

export const dynamic = "force-dynamic";

export const GET = authed(async ({ req, session, context }) => {
  const query = parseQuery(req, ZListPatientsQuery);
  return json(await listPatients(session, query, context));
});

export const POST = authed(async ({ req, session, context }) => {
  const input = await parseJson(req, ZCreatePatientRequest);
  return json(await createPatient(session, input, context), 201);
});
