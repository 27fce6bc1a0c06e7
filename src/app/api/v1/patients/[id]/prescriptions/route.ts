import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { createPrescription, listPrescriptions } from "@/core/clinical/prescriptions";
import { ZCreatePrescriptionRequest } from "@/core/clinical/prescriptions.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json({ data: await listPrescriptions(session, parseId(params.id, "patient id"), context) });
});

export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZCreatePrescriptionRequest);
  return json(await createPrescription(session, id, input, context), 201);
});
