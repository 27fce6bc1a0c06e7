import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { randomBytes, hkdfSync } from "node:crypto";
import path from "node:path";

/** Configuration from the environment (ARCHITECTURE.md, "Configuration"). */
export interface Config {
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** A separate login that owns the schema and runs migrations; the runtime login then owns nothing. */
  migrationDatabaseUrl: string | undefined;
  /** ALLOW_PRIVILEGED_DATABASE_LOGIN=1: start (loudly) on a superuser or BYPASSRLS login. */
  allowPrivilegedDatabaseLogin: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535 (got "${env.PORT}").`);
  }
  return {
    port,
    dataDir: path.resolve(env.DATA_DIR ?? "./data"),
    databaseUrl: env.DATABASE_URL || undefined,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL || undefined,
    allowPrivilegedDatabaseLogin: env.ALLOW_PRIVILEGED_DATABASE_LOGIN === "1",
  };
}

const SECRET_KEY = Symbol.for("carebase.secret");

/**
 * The root secret: CAREBASE_SECRET, or one generated once into DATA_DIR/secret (0600).
 * With DATABASE_URL set, several instances must share it, so it is required.
 */
export function rootSecret(config: Config = loadConfig(), env: NodeJS.ProcessEnv = process.env): Buffer {
  const g = globalThis as unknown as Record<symbol, Buffer | undefined>;
  const cached = g[SECRET_KEY];
  if (cached) return cached;
  let secret: Buffer;
  if (env.CAREBASE_SECRET) {
    if (env.CAREBASE_SECRET.length < 32) throw new Error("CAREBASE_SECRET must be at least 32 characters.");
    secret = Buffer.from(env.CAREBASE_SECRET, "utf8");
  } else if (config.databaseUrl) {
    throw new Error("CAREBASE_SECRET is required when DATABASE_URL is set (every instance must share it).");
  } else {
    const file = path.join(config.dataDir, "secret");
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      try {
        writeFileSync(file, randomBytes(48).toString("base64url"), { mode: 0o600, flag: "wx" });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    secret = Buffer.from(readFileSync(file, "utf8").trim(), "utf8");
  }
  g[SECRET_KEY] = secret;
  return secret;
}

/** A 32-byte key for one purpose, derived from the root secret (HKDF-SHA256). */
export function deriveKey(purpose: string, config?: Config): Buffer {
  return Buffer.from(hkdfSync("sha256", rootSecret(config), "carebase", `carebase:${purpose}`, 32));
}
