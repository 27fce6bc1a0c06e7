import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { assertChannelVisible, markRead } from "./list-messages";
import type { MessageView, TPostMessageRequest } from "./messages.types";

/**
 * Posts to a patient's care-team channel as the caller. The insert policy (chartable
 * patients, sender = caller) is the gate; a visible patient the caller may not chart for
 * ends in 403 from the policy violation.
 */
export async function postMessage(
  session: Session,
  patientId: string,
  input: TPostMessageRequest,
  context: RequestContext = {},
): Promise<MessageView> {
  return withUser(
    session,
    async (tx) => {
      await assertChannelVisible(tx, session, patientId);
      const row = await tx
        .insertInto("care_messages")
        .values({ patient_id: patientId, sender_id: session.userId, message: input.message, priority: input.priority })
        .returning(["id", "patient_id", "sender_id", "message", "priority", "created_at"])
        .executeTakeFirstOrThrow();
      // The sender has read their own message.
      await markRead(tx, patientId, row.id);
      const sender = await tx.selectFrom("auth.users").select("full_name").where("id", "=", session.userId).executeTakeFirst();
      return {
        id: row.id,
        patient_id: row.patient_id,
        sender_id: row.sender_id,
        sender_name: sender?.full_name ?? null,
        message: row.message,
        priority: row.priority,
        created_at: new Date(row.created_at).toISOString(),
      };
    },
    context,
  );
}
