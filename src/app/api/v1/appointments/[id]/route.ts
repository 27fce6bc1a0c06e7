import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { updateAppointmentStatus } from "@/core/clinical/appointments";
import { ZUpdateAppointmentRequest } from "@/core/clinical/appointments.types";

export const dynamic = "force-dynamic";

export const PATCH = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "appointment id");
  const input = await parseJson(req, ZUpdateAppointmentRequest);
  return json(await updateAppointmentStatus(session, id, input, context));
});
