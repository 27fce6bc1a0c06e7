import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson } from "@/core/http/parse";
import { getCall } from "@/core/telehealth/get-call";
import { startCall } from "@/core/telehealth/start-call";
import { endCall } from "@/core/telehealth/end-call";
import { addCallMember } from "@/core/telehealth/add-call-member";
import { ZCallActionRequest } from "@/core/telehealth/call.types";

export const dynamic = "force-dynamic";

/** The caller's role, the call, and ICE servers with TURN credentials minted for this caller (docs/telehealth.md). */
export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  const id = parseId(params.id, "appointment id");
  return json(await getCall(session, id, context), 200, { "Cache-Control": "no-store" });
});

/** `{action:"start"}` | `{action:"end"}` | `{action:"add_member", user_id}` — the appointment's provider only. */
export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "appointment id");
  const input = await parseJson(req, ZCallActionRequest);
  const state =
    input.action === "start"
      ? await startCall(session, id, context)
      : input.action === "end"
        ? await endCall(session, id, context)
        : await addCallMember(session, id, input.user_id, context);
  return json(state, 200, { "Cache-Control": "no-store" });
});
