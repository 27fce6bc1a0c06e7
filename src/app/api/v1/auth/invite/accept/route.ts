import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { acceptStaffInvite } from "@/core/auth/invite-staff";
import { ZAcceptStaffInviteRequest } from "@/core/auth/email-links.types";

/** A staff invitee chooses a password with the mailed link's token (single use, 72 hours). */
export const POST = open(async ({ req, context }) => {
  return json(await acceptStaffInvite(await parseJson(req, ZAcceptStaffInviteRequest), context));
});
