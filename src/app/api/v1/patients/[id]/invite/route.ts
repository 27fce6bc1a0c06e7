import { authed } from "@/core/http/route";
import { parseId, parseOptionalJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { createInvite, ZCreateInviteRequest } from "@/core/auth/invites";
import { env } from "@/core/config/env";

/** A single-use portal invitation for the patient of this record (care team or admin; RLS decides). */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const patientId = parseId(params.id, "patient id");
  const body = await parseOptionalJson(req, ZCreateInviteRequest);
  const base = env().PUBLIC_URL ?? new URL(req.url).origin;
  return json(await createInvite(session, patientId, body, base, context), 201);
});
