import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, env, parseEnv, resetConfigForTests } from "./env";

describe("configuration (src/core/config/env.ts)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfigForTests();
  });

  it("gives every variable its documented default", () => {
    const e = parseEnv({});
    expect(e.PORT).toBe(3000);
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.LOCK_AFTER_FAILURES).toBe(5);
    expect(e.LOCK_BASE_SECONDS).toBe(30);
    expect(e.S3_FORCE_PATH_STYLE).toBe(true);
    expect(e.STORAGE_DRIVER).toBe("local");
    expect(e.ACCESS_TOKEN_TTL).toBe(900);
    expect(e.SESSION_MAX_SECONDS).toBe(43_200);
    expect(e.REFRESH_REUSE_GRACE_SECONDS).toBe(30);
    expect(e.TRUST_PROXY).toBe(0);
    expect(e.COOKIE_SECURE).toBeUndefined();
    expect(e.DOCUMENT_RETENTION_DAYS).toBe(30);
    expect(e.API_ROUTER).toBe("light");
    expect(e.rateLimits).toEqual({});
  });

  it("S3_FORCE_PATH_STYLE is on unless 0 (the README says the same)", () => {
    expect(parseEnv({ S3_FORCE_PATH_STYLE: "0" }).S3_FORCE_PATH_STYLE).toBe(false);
    expect(parseEnv({ S3_FORCE_PATH_STYLE: "1" }).S3_FORCE_PATH_STYLE).toBe(true);
    expect(() => parseEnv({ S3_FORCE_PATH_STYLE: "maybe" })).toThrow(/S3_FORCE_PATH_STYLE must be 1 or 0/);
  });

  it("clamps what has a ceiling, and refuses what is not a value at all, naming the variable", () => {
    expect(parseEnv({ ACCESS_TOKEN_TTL: "3600" }).ACCESS_TOKEN_TTL).toBe(900);
    expect(parseEnv({ REFRESH_REUSE_GRACE_SECONDS: "600" }).REFRESH_REUSE_GRACE_SECONDS).toBe(120);
    expect(() => parseEnv({ LOCK_AFTER_FAILURES: "five" })).toThrow(ConfigError);
    expect(() => parseEnv({ LOCK_AFTER_FAILURES: "five" })).toThrow(/LOCK_AFTER_FAILURES/);
    expect(() => parseEnv({ PORT: "70000" })).toThrow(/PORT must be an integer between 0 and 65535/);
    expect(() => parseEnv({ EMERGENCY_ACCESS_MINUTES: "721" })).toThrow(/EMERGENCY_ACCESS_MINUTES/);
    expect(() => parseEnv({ SMTP_URL: "mail.example.org" })).toThrow(/SMTP_URL must start with smtp:\/\//);
    expect(() => parseEnv({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT.*LOG_LEVEL/);
  });

  it("reads RATE_LIMIT_<BUCKET> as max/seconds by bucket", () => {
    expect(parseEnv({ RATE_LIMIT_SIGN_IN_IP: "1000/60" }).rateLimits).toEqual({ sign_in_ip: [1000, 60] });
    expect(() => parseEnv({ RATE_LIMIT_SIGN_IN_IP: "lots" })).toThrow(/RATE_LIMIT_SIGN_IN_IP must be max\/seconds/);
  });

  it("outside production, env() sees a variable a test sets after the first read", () => {
    expect(env().TRUST_PROXY).toBe(0);
    vi.stubEnv("TRUST_PROXY", "2");
    expect(env().TRUST_PROXY).toBe(2);
    vi.stubEnv("RATE_LIMIT_SIGN_IN_IP", "7/60");
    expect(env().rateLimits.sign_in_ip).toEqual([7, 60]);
  });

  it("in production, env() is read once", () => {
    vi.stubEnv("NODE_ENV", "production");
    resetConfigForTests();
    expect(env().TRUST_PROXY).toBe(0);
    vi.stubEnv("TRUST_PROXY", "2");
    expect(env().TRUST_PROXY).toBe(0);
    resetConfigForTests();
    expect(env().TRUST_PROXY).toBe(2);
  });
});
