import { z } from "zod";
import { asService, type RequestContext } from "../db/with-user";
import { auditAccountEventTx } from "./audit-events";
import type { Session } from "./session-types";

export const ZMailNoticesRequest = z.object({ mail_notices: z.boolean("must be true or false") });
export type TMailNoticesRequest = z.infer<typeof ZMailNoticesRequest>;

/**
 * Whether the caller wants notices that are not about security (appointments, documents) by
 * mail. Security notices (password changed, two-factor sign-in on or reset, …) always go.
 * The caller's own account setting, not clinical data: read and written on a named service
 * path for the caller's own row only (the column has no grant for application roles).
 */
export async function getMailNotices(session: Session, context: RequestContext = {}): Promise<{ mail_notices: boolean }> {
  const row = await asService("account: the caller's own notice setting", (tx) =>
    tx.selectFrom("auth.users").select("mail_notices").where("id", "=", session.userId).executeTakeFirstOrThrow(),
  context);
  return { mail_notices: row.mail_notices };
}

export async function setMailNotices(session: Session, input: TMailNoticesRequest, context: RequestContext = {}): Promise<{ mail_notices: boolean }> {
  return asService("account: change the caller's own notice setting", async (tx) => {
    await tx.updateTable("auth.users").set({ mail_notices: input.mail_notices }).where("id", "=", session.userId).execute();
    await auditAccountEventTx(tx, { action: "auth.mail_notices_changed", actorId: session.userId, actorRole: session.role, details: { mail_notices: input.mail_notices } }, context);
    return { mail_notices: input.mail_notices };
  }, context);
}
