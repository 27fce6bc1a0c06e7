import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { patchAppointment } from "@/core/clinical/appointments";
import { ZPatchAppointmentRequest } from "@/core/clinical/appointments.types";

export const dynamic = "force-dynamic";

/** `{status[, reason]}` (cancelling by staff needs `reason`) or `{starts_at, ends_at}` (reschedule). */
export const PATCH = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "appointment id");
  const input = await parseJson(req, ZPatchAppointmentRequest);
  return json(await patchAppointment(session, id, input, context));
});
