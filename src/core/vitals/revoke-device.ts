import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";

/**
 * Revokes a device at once: its token stops authenticating on the next batch (the
 * database checks revoked_at in the same transaction as the insert). Only the patient
 * who owns it may revoke it (devices update policy); anyone else gets 404.
 */
export async function revokeDevice(session: Session, deviceId: string, context: RequestContext = {}): Promise<void> {
  await withUser(
    session,
    async (tx) => {
      const res = await tx
        .updateTable("devices")
        .set({ revoked_at: new Date() })
        .where("id", "=", deviceId)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        // Already revoked (and still visible to its owner) is fine; anything else is not found.
        const mine = await tx
          .selectFrom("devices")
          .select("id")
          .where("id", "=", deviceId)
          .where(sql<boolean>`patient_id = any (app.my_patient_ids())`)
          .executeTakeFirst();
        if (!mine) throw new NotFoundError("device");
      }
    },
    context,
  );
}
