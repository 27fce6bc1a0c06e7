import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { sha256Hex } from "../auth/tokens";
import { withUser, type RequestContext } from "../db/with-user";
import { ForbiddenError } from "../errors";
import { newDeviceToken } from "./with-device";
import type { TRegisterDeviceRequest } from "./devices.types";

/**
 * A patient registers a wearable. The token is returned once and only its SHA-256 is
 * stored; the devices insert policy lets a patient register devices for their own record only.
 */
export async function registerDevice(
  session: Session,
  input: TRegisterDeviceRequest,
  context: RequestContext = {},
): Promise<{ device_id: string; token: string }> {
  if (session.role !== "patient") throw new ForbiddenError("Only patients register wearable devices.");
  return withUser(
    session,
    async (tx) => {
      const { rows } = await sql<{ id: string }>`select unnest(app.my_patient_ids()) as id`.execute(tx);
      if (rows.length === 0) throw new ForbiddenError("This account is not linked to a patient record.", "no_patient_record");
      const token = newDeviceToken();
      const device = await tx
        .insertInto("devices")
        .values({ patient_id: rows[0].id, name: input.name, token_hash: sha256Hex(token) })
        .returning("id")
        .executeTakeFirstOrThrow();
      return { device_id: device.id, token };
    },
    context,
  );
}
