import { createHmac } from "node:crypto";
import { envFrom, type EnvSource } from "../config/env";

/** One entry of RTCConfiguration.iceServers, as the browser takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's `static-auth-secret` (`use-auth-secret`); without it no TURN server is offered. */
  turnSecret?: string;
  /** How long minted TURN credentials stay valid. */
  ttlSeconds: number;
}

function urlList(v: string | undefined): string[] {
  return (v ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => /^(stuns?|turns?):/i.test(s));
}

/** STUN_URLS, TURN_URLS (comma- or space-separated), TURN_SECRET, TURN_TTL_SECONDS (src/core/config/env.ts). */
export function iceConfigFromEnv(source?: EnvSource): IceConfig {
  const e = envFrom(source);
  return { stunUrls: urlList(e.STUN_URLS), turnUrls: urlList(e.TURN_URLS), turnSecret: e.TURN_SECRET, ttlSeconds: e.TURN_TTL_SECONDS };
}

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest, what coturn's `use-auth-secret`
 * checks): username `<unix expiry>:<user id>`, credential = base64(HMAC-SHA1(secret, username)).
 * The TURN server needs no database: it recomputes the HMAC and refuses an expired username.
 */
export function mintTurnCredential(secret: string, userId: string, ttlSeconds: number, now: Date = new Date()) {
  const expiresAt = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiresAt}:${userId}`;
  const credential = createHmac("sha1", secret).update(username).digest("base64");
  return { username, credential, expiresAt: new Date(expiresAt * 1000) };
}

/** Whether a TURN REST username has expired (what the TURN server checks). */
export function turnUsernameExpired(username: string, now: Date = new Date()): boolean {
  const expiry = Number(username.split(":")[0]);
  return !Number.isFinite(expiry) || expiry * 1000 <= now.getTime();
}

/** The ICE servers for one user's call, with credentials minted now (null expiry without TURN). */
export function iceServersFor(userId: string, config: IceConfig = iceConfigFromEnv(), now: Date = new Date()) {
  const servers: IceServer[] = [];
  if (config.stunUrls.length) servers.push({ urls: config.stunUrls });
  let expiresAt: Date | null = null;
  if (config.turnUrls.length && config.turnSecret) {
    const c = mintTurnCredential(config.turnSecret, userId, config.ttlSeconds, now);
    servers.push({ urls: config.turnUrls, username: c.username, credential: c.credential });
    expiresAt = c.expiresAt;
  }
  return { iceServers: servers, expiresAt };
}
