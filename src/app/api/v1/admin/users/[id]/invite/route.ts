import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { resendStaffInvite } from "@/core/auth/invite-staff";

/** Sends an invited staff account a new invitation; the previous link stops working (admin, aal2). */
export const POST = authed<{ id: string }>(async ({ params, session, context }) => {
  return json(await resendStaffInvite(session, parseId(params.id), context));
});
