import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { mapCallErrors } from "./call-errors";
import type { SignalKind } from "./call.types";


/**
 * One signaling frame as the caller, through app.send_call_signal: who may join, the waiting
 * room and the provider's powers are decided there. The frame becomes a short-lived row whose
 * id every instance is told; returns that id.
 */
export async function sendCallSignal(
  session: Session,
  appointmentId: string,
  kind: SignalKind,
  recipientId: string | null,
  payload: Record<string, unknown>,
  context: RequestContext = {},
): Promise<number> {
  return mapCallErrors(
    withUser(
      session,
      async (tx) => {
        const { rows } = await sql<{ id: string }>`
          select app.send_call_signal(${appointmentId}::uuid, ${kind}, ${recipientId}::uuid, ${JSON.stringify(payload)}::jsonb)::text as id`.execute(tx);
        return Number(rows[0].id);
      },
      context,
    ),
  );
}
