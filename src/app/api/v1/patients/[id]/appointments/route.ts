import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { createAppointment, listAppointments } from "@/core/clinical/appointments";
import { ZCreateAppointmentRequest } from "@/core/clinical/appointments.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  return json({ data: await listAppointments(session, parseId(params.id, "patient id"), context) });
});

/** A patient requests; a care-team provider books (confirmed at once; 409 appointment_conflict on overlap). */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZCreateAppointmentRequest);
  return json(await createAppointment(session, id, input, context), 201);
});
