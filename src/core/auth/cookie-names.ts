/** The browser session's cookie names (dependency-free: src/proxy.ts imports it). */
export const ACCESS_COOKIE = "cb_access";
export const REFRESH_COOKIE = "cb_refresh";
