import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import type { DeviceView } from "./devices.types";

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The devices the caller may see (a patient: their own; the care team: their patients'). */
export async function listDevices(
  session: Session,
  filter: { patientId?: string },
  context: RequestContext = {},
): Promise<DeviceView[]> {
  return withUser(
    session,
    async (tx) => {
      let q = tx
        .selectFrom("devices")
        .select(["id", "patient_id", "name", "created_at", "last_seen_at", "revoked_at"])
        .orderBy("created_at", "desc")
        .limit(200);
      if (filter.patientId) q = q.where("patient_id", "=", filter.patientId);
      const rows = await q.execute();
      if (rows.length > 0) {
        await recordRead(tx, {
          kind: "devices",
          patientIds: [...new Set(rows.map((r) => r.patient_id))],
          recordIds: rows.map((r) => r.id),
        });
      }
      return rows.map((r) => ({
        id: r.id,
        patient_id: r.patient_id,
        name: r.name,
        created_at: iso(r.created_at)!,
        last_seen_at: iso(r.last_seen_at),
        revoked_at: iso(r.revoked_at),
      }));
    },
    context,
  );
}
