import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseId, parseJson, parseQuery } from "@/core/http/parse";
import { listMessages } from "@/core/messages/list-messages";
import { postMessage } from "@/core/messages/post-message";
import { ZListMessagesQuery, ZPostMessageRequest } from "@/core/messages/messages.types";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  return json(await listMessages(session, id, parseQuery(req, ZListMessagesQuery), context));
});

export const POST = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "patient id");
  const input = await parseJson(req, ZPostMessageRequest);
  return json(await postMessage(session, id, input, context), 201);
});
