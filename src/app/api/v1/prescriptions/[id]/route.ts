import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { updatePrescription } from "@/core/clinical/prescriptions";
import { ZUpdatePrescriptionRequest } from "@/core/clinical/prescriptions.types";

export const dynamic = "force-dynamic";

export const PATCH = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "prescription id");
  const input = await parseJson(req, ZUpdatePrescriptionRequest);
  return json(await updatePrescription(session, id, input, context));
});
