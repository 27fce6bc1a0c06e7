import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { createHmac, randomBytes, hkdfSync } from "node:crypto";
import path from "node:path";
import { envFrom, type EnvSource } from "./env";

/** Configuration from the environment (the README lists every variable). */
export interface Config {
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** A separate login that owns the schema and runs migrations; the runtime login then owns nothing. */
  migrationDatabaseUrl: string | undefined;
  /** ALLOW_PRIVILEGED_DATABASE_LOGIN=1: start (loudly) on a superuser or BYPASSRLS login. */
  allowPrivilegedDatabaseLogin: boolean;
  /** SIGNING_P12_PATH: the operator's PKCS #12 (key + certificate) for signing prescription PDFs; unset → a generated clinic key (docs/signing.md). */
  signingP12Path: string | undefined;
  /** SIGNING_P12_PASSWORD: that file's password. */
  signingP12Password: string | undefined;
}

/** The server's own settings (src/core/config/env.ts validates them; docs/configuration.md). */
export function loadConfig(source?: EnvSource): Config {
  const e = envFrom(source);
  return {
    port: e.PORT,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    migrationDatabaseUrl: e.MIGRATION_DATABASE_URL,
    allowPrivilegedDatabaseLogin: e.ALLOW_PRIVILEGED_DATABASE_LOGIN,
    signingP12Path: e.SIGNING_P12_PATH,
    signingP12Password: e.SIGNING_P12_PASSWORD,
  };
}

const SECRET_KEY = Symbol.for("carebase.secret");

/** DATA_DIR/secret: the generated root secret of an installation without CAREBASE_SECRET. */
export const SECRET_FILE = "secret";
/** DATA_DIR/secret.check: the key check of the secret this DATA_DIR's data was written with. */
export const KEY_CHECK_FILE = "secret.check";

/** The root secret is missing, unusable, or not the one the data was written with. Start-up stops with its message. */
export class RootSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RootSecretError";
  }
}

/**
 * Whether DATA_DIR shows that a secret was in use here: stored objects (encrypted under it),
 * or its key check (written with every generated secret and at every start). A new secret
 * must never be generated then: every document, TOTP factor and audit checkpoint would stop
 * opening (issue #13). An embedded database alone does not count: tools open it before
 * they first need the secret; start-up (checkRootSecret) asks the database itself instead.
 */
export function dataDirHoldsEncryptedData(dataDir: string): boolean {
  let objects: string[] = [];
  try {
    objects = readdirSync(path.join(dataDir, "objects")).filter((n) => n !== ".incomplete");
  } catch {
    /* none */
  }
  return objects.length > 0 || existsSync(path.join(dataDir, KEY_CHECK_FILE));
}

const GENERATED_KEY = Symbol.for("carebase.secret.generated");

/**
 * The root secret: CAREBASE_SECRET, or one generated once into DATA_DIR/secret (0600), with
 * its key check beside it (DATA_DIR/secret.check). With DATABASE_URL set, several instances
 * must share it, so it is required. A secret is generated only into a DATA_DIR that shows no
 * sign of an earlier one; otherwise a missing secret file is a RootSecretError (put the file
 * back, or set CAREBASE_SECRET).
 */
export function rootSecret(config: Config = loadConfig(), env: NodeJS.ProcessEnv = process.env): Buffer {
  const g = globalThis as unknown as Record<symbol, Buffer | string | undefined>;
  const cached = g[SECRET_KEY] as Buffer | undefined;
  if (cached) return cached;
  let secret: Buffer;
  if (env.CAREBASE_SECRET) {
    if (env.CAREBASE_SECRET.length < 32) throw new RootSecretError("CAREBASE_SECRET must be at least 32 characters.");
    secret = Buffer.from(env.CAREBASE_SECRET, "utf8");
  } else if (config.databaseUrl) {
    throw new RootSecretError("CAREBASE_SECRET is required when DATABASE_URL is set (every instance must share it).");
  } else {
    const file = path.join(config.dataDir, SECRET_FILE);
    if (!existsSync(file)) {
      if (dataDirHoldsEncryptedData(config.dataDir)) throw missingSecretError(config.dataDir);
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const fresh = randomBytes(48).toString("base64url");
      try {
        writeFileSync(file, fresh, { mode: 0o600, flag: "wx" });
        writeKeyCheckFile(config.dataDir, keyCheckOf(Buffer.from(fresh, "utf8")));
        g[GENERATED_KEY] = file;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const text = readFileSync(file, "utf8").trim();
    if (text.length < 32) throw new RootSecretError(`${file} holds no usable secret (under 32 characters): restore it from your secret escrow.`);
    secret = Buffer.from(text, "utf8");
  }
  g[SECRET_KEY] = secret;
  return secret;
}

/** The error for a missing DATA_DIR/secret beside data written under one. */
export function missingSecretError(dataDir: string): RootSecretError {
  return new RootSecretError(
    `${path.join(dataDir, SECRET_FILE)} is missing, but ${dataDir} holds data encrypted under it (the database, documents or a key check). ` +
      `A new secret would make every document, two-factor sign-in and audit checkpoint unreadable, so none is generated. ` +
      `Put the secret file back (from your secret escrow), or set CAREBASE_SECRET to the same value (docs/operations.md, "The root secret").`,
  );
}

/**
 * Withdraws a secret this process generated (and its key check), once start-up has found
 * that the data was written under another one: the DATA_DIR is left as it was, so the next
 * start says the same thing. Returns whether there was one.
 */
export function withdrawGeneratedSecret(config: Config = loadConfig()): boolean {
  const g = globalThis as unknown as Record<symbol, Buffer | string | undefined>;
  const file = g[GENERATED_KEY] as string | undefined;
  if (!file || file !== path.join(config.dataDir, SECRET_FILE)) return false;
  for (const f of [file, path.join(config.dataDir, KEY_CHECK_FILE)]) {
    try {
      unlinkSync(f);
    } catch {
      /* already gone */
    }
  }
  g[GENERATED_KEY] = undefined;
  g[SECRET_KEY] = undefined;
  return true;
}

/**
 * For tools that must not generate a secret (backup, restore, audit:verify): the secret is
 * there already (CAREBASE_SECRET, or DATA_DIR/secret on the embedded engine), or this throws.
 */
export function assertRootSecretPresent(config: Config = loadConfig(), env: NodeJS.ProcessEnv = process.env): void {
  if (env.CAREBASE_SECRET) return;
  if (config.databaseUrl) throw new RootSecretError("CAREBASE_SECRET is required when DATABASE_URL is set.");
  if (!existsSync(path.join(config.dataDir, SECRET_FILE))) {
    throw new RootSecretError(`${path.join(config.dataDir, SECRET_FILE)} is missing: put the root secret back (or set CAREBASE_SECRET) first; this command never generates one.`);
  }
}

/**
 * The key check of a root secret: an HMAC of a constant under a key derived from it. It
 * tells whether two secrets are the same without revealing either; stored beside the data
 * (DATA_DIR/secret.check, a backup's header) and compared at start-up and on restore.
 */
export function keyCheckOf(secret: Buffer): string {
  const key = Buffer.from(hkdfSync("sha256", secret, "carebase", "carebase:key-check", 32));
  return `v1:${createHmac("sha256", key).update("carebase root secret key check v1").digest("hex")}`;
}

/** The key check of this process's root secret. */
export function rootSecretKeyCheck(config?: Config): string {
  return keyCheckOf(rootSecret(config));
}

/** The key check stored in DATA_DIR, if any. */
export function readKeyCheckFile(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, KEY_CHECK_FILE), "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Records the key check in DATA_DIR (0600), replacing none: an existing one is compared, never overwritten. */
export function writeKeyCheckFile(dataDir: string, check: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path.join(dataDir, KEY_CHECK_FILE), `${check}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** The message for a secret that is not the one the data was written with. */
export function wrongSecretMessage(where: string): string {
  return (
    `The root secret does not match ${where}: CAREBASE_SECRET (or DATA_DIR/secret) is not the secret this data was written with. ` +
    `Start with the original secret (docs/operations.md, "The root secret"); nothing was changed.`
  );
}

/** A 32-byte key for one purpose, derived from the root secret (HKDF-SHA256). */
export function deriveKey(purpose: string, config?: Config): Buffer {
  return Buffer.from(hkdfSync("sha256", rootSecret(config), "carebase", `carebase:${purpose}`, 32));
}

/**
 * EMERGENCY_ACCESS_MINUTES (default 60, 1–720): how long a break-the-glass grant lasts
 * (docs/emergency-access.md). The database clamps it to the same range.
 */
export function emergencyAccessMinutes(source?: EnvSource): number {
  return envFrom(source).EMERGENCY_ACCESS_MINUTES;
}

export { ConfigError, env, envFrom, parseEnv, resetConfigForTests, type Env, type EnvSource } from "./env";
