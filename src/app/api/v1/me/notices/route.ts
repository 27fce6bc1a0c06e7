import { authed } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { getMailNotices, setMailNotices, ZMailNoticesRequest } from "@/core/auth/mail-notices";

/** Whether the caller gets notices by mail (appointments, documents); security notices always go. */
export const GET = authed(async ({ session, context }) => json(await getMailNotices(session, context)));

export const PUT = authed(async ({ req, session, context }) => {
  return json(await setMailNotices(session, await parseJson(req, ZMailNoticesRequest), context));
});
