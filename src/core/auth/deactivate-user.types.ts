import { z } from "zod";

const reason = z.string().trim().min(3, "must say why, in a few words").max(500, "must be at most 500 characters");

/** Why an admin deactivates an account: kept in the audit trail. Optional over the API (older clients); the admins' page asks for it. */
export const ZDeactivateUserRequest = z.object({ reason: reason.optional() });
export type TDeactivateUserRequest = z.infer<typeof ZDeactivateUserRequest>;

/** The admins' page: the reason is required there. */
export const ZDeactivateUserForm = z.object({ reason });
