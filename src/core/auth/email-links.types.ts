import { z } from "zod";
import { BadRequestError } from "../errors";

/** A link mailed to an account's address: to confirm the address, or to accept a staff invitation. */
export const ZConfirmEmailRequest = z.object({
  token: z.string().trim().min(1, "is required").max(200),
});
export type TConfirmEmailRequest = z.infer<typeof ZConfirmEmailRequest>;

export const ZAcceptStaffInviteRequest = z.object({
  token: z.string().trim().min(1, "is required").max(200),
  password: z.string().max(1024),
});
export type TAcceptStaffInviteRequest = z.infer<typeof ZAcceptStaffInviteRequest>;

/** How long a verification link works. */
export const VERIFY_EMAIL_HOURS = 48;
/** How long a staff invitation works; an admin can send a new one (the old one stops working). */
export const STAFF_INVITE_HOURS = 72;

/** Unknown, used, expired and altered links all get this one answer. */
export const INVALID_EMAIL_LINK = (what: "verification" | "invitation") =>
  new BadRequestError(
    what === "verification"
      ? "This confirmation link is no longer valid: it was already used, has expired (links work for 48 hours), or is incomplete."
      : "This invitation link is no longer valid: it was already used, has expired (links work for 72 hours), or is incomplete. Ask the clinic's administrator to send a new invitation.",
    "invalid_link",
  );
