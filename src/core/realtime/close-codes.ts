/**
 * WebSocket close codes of /realtime/v1 that the browser client acts on. Shared by the hub
 * and the client (this module has no imports, so it is safe in a client bundle).
 */
/** The session behind the socket was revoked, expired or went idle: do not reconnect. */
export const CLOSE_SESSION_ENDED = 4001;
