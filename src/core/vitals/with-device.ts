import { sql } from "kysely";
import { database } from "../db";
import { newOpaqueToken, sha256Hex } from "../auth/tokens";
import type { RequestContext, Tx } from "../db/with-user";
import { UnauthorizedError } from "../errors";

export interface DeviceIdentity {
  deviceId: string;
  patientId: string;
}

/** Device tokens carry a prefix so that logs and secret scanners can tell them apart. */
export const DEVICE_TOKEN_PREFIX = "cbd_";

/** A new device token: the prefix and 32 random bytes. Only its SHA-256 is ever stored. */
export function newDeviceToken(): string {
  return DEVICE_TOKEN_PREFIX + newOpaqueToken(32);
}

/**
 * The device counterpart of withUser: one transaction as `authenticated`, with claims
 * that name the device only by the hash of its token. The database resolves the device
 * (live ones only) and its insert policy on vitals lets it write its own patient's
 * samples and nothing else; no read policy matches a device. Unknown or revoked → 401.
 */
export async function withDevice<T>(
  token: string,
  fn: (tx: Tx, device: DeviceIdentity) => Promise<T>,
  context: RequestContext = {},
): Promise<T> {
  if (!token.startsWith(DEVICE_TOKEN_PREFIX) || token.length > 128) throw invalidDevice();
  const claims = { role: "authenticated", app_role: "device", device_token_sha256: sha256Hex(token) };
  const db = await database();
  return db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                     set_config('request.id', ${context.requestId ?? ""}, true),
                     set_config('request.ip', ${context.ip ?? ""}, true),
                     set_config('request.user_agent', ${(context.userAgent ?? "").slice(0, 512)}, true),
                     set_config('role', 'authenticated', true)`.execute(tx);
    const { rows } = await sql<{ device_id: string; patient_id: string }>`
      select device_id, patient_id from app.authenticate_device()`.execute(tx);
    if (rows.length === 0) throw invalidDevice();
    return fn(tx, { deviceId: rows[0].device_id, patientId: rows[0].patient_id });
  });
}

function invalidDevice(): UnauthorizedError {
  return new UnauthorizedError("The device token is unknown or has been revoked.", "invalid_device_token");
}
