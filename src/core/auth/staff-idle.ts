import { env } from "../config/env";

/**
 * Staff (providers, admins) sessions idle longer than this are refused everywhere: the
 * database's session checks (auth.enter_session, auth.session_is_live), the refresh, and
 * open realtime sockets (STAFF_IDLE_MINUTES, whole minutes, default 15).
 */
export function staffIdleMinutes(): number {
  return env().STAFF_IDLE_MINUTES;
}
