import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { mapCallErrors } from "./call-errors";
import type { CallState } from "./call.types";
import { readCallState } from "./get-call";

/** The appointment's provider opens the call (or gets the open one); the patient's page is told ('started'). */
export async function startCall(session: Session, appointmentId: string, context: RequestContext = {}): Promise<CallState> {
  return mapCallErrors(
    withUser(
      session,
      async (tx) => {
        await sql`select app.start_call(${appointmentId}::uuid)`.execute(tx);
        return readCallState(tx, session, appointmentId);
      },
      context,
    ),
  );
}
