import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import type { CallState } from "./call.types";
import { readCallState } from "./get-call";
import { sendCallSignal } from "./send-call-signal";

/** The provider adds a member of the patient's care team to the open call (who may then join). */
export async function addCallMember(session: Session, appointmentId: string, userId: string, context: RequestContext = {}): Promise<CallState> {
  await sendCallSignal(session, appointmentId, "member_added", userId, {}, context);
  return withUser(session, (tx) => readCallState(tx, session, appointmentId), context);
}
