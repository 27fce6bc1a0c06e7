import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { iceConfigFromEnv, iceServersFor, mintTurnCredential, turnUsernameExpired } from "./ice-servers";

const USER = "6f1c2a8e-0b4d-4c55-9a51-3c1f0e2d9b77";
const NOW = new Date("2026-12-06T10:00:00Z");

describe("TURN REST credentials", () => {
  it("names the expiry and the user, and signs them with HMAC-SHA1 of the shared secret (base64)", () => {
    const c = mintTurnCredential("s3cret", USER, 600, NOW);
    const expiry = NOW.getTime() / 1000 + 600;
    expect(c.username).toBe(`${expiry}:${USER}`);
    expect(c.credential).toBe(createHmac("sha1", "s3cret").update(c.username).digest("base64"));
    expect(c.expiresAt.toISOString()).toBe("2026-12-06T10:10:00.000Z");
  });

  it("a known vector (openssl dgst -sha1 -hmac north -binary | base64), as coturn computes it", () => {
    const c = mintTurnCredential("north", "alice", 1_700_000_000, new Date(0));
    expect(c.username).toBe("1700000000:alice");
    expect(c.credential).toBe("Cd/49soE35ICqcJF/bCTn8Z4OyE=");
  });

  it("expires: valid until its second, refused from then on", () => {
    const c = mintTurnCredential("s", USER, 60, NOW);
    expect(turnUsernameExpired(c.username, new Date(NOW.getTime() + 59_999))).toBe(false);
    expect(turnUsernameExpired(c.username, new Date(NOW.getTime() + 60_000))).toBe(true);
    expect(turnUsernameExpired("not-a-number:x", NOW)).toBe(true);
  });

  it("another secret or another user gives another credential", () => {
    const a = mintTurnCredential("s", USER, 60, NOW).credential;
    expect(mintTurnCredential("t", USER, 60, NOW).credential).not.toBe(a);
    expect(mintTurnCredential("s", "someone-else", 60, NOW).credential).not.toBe(a);
  });
});

describe("ICE servers from configuration", () => {
  it("STUN and TURN from the environment, credentials minted per user", () => {
    const config = iceConfigFromEnv({ STUN_URLS: "stun:stun.clinic.test:3478", TURN_URLS: "turn:turn.clinic.test:3478?transport=udp, turns:turn.clinic.test:5349", TURN_SECRET: "s", TURN_TTL_SECONDS: "900" });
    const { iceServers, expiresAt } = iceServersFor(USER, config, NOW);
    expect(iceServers[0]).toEqual({ urls: ["stun:stun.clinic.test:3478"] });
    expect(iceServers[1].urls).toEqual(["turn:turn.clinic.test:3478?transport=udp", "turns:turn.clinic.test:5349"]);
    expect(iceServers[1].username).toBe(`${NOW.getTime() / 1000 + 900}:${USER}`);
    expect(expiresAt?.toISOString()).toBe("2026-12-06T10:15:00.000Z");
  });

  it("no TURN without a secret; nothing configured gives an empty list (loopback and LAN calls still work)", () => {
    expect(iceServersFor(USER, iceConfigFromEnv({ TURN_URLS: "turn:t.test" }), NOW)).toEqual({ iceServers: [], expiresAt: null });
    expect(iceConfigFromEnv({}).ttlSeconds).toBe(3600);
    expect(() => iceConfigFromEnv({ TURN_TTL_SECONDS: "5" })).toThrow(/TURN_TTL_SECONDS/);
    expect(iceConfigFromEnv({ STUN_URLS: "http://not-stun, stun:ok.test" }).stunUrls).toEqual(["stun:ok.test"]);
  });
});
