import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey } from "../config";

/**
 * A confidential app's secret at rest: AES-256-GCM under deriveKey("smart-client-secret").
 * Sealed rather than hashed because the OAuth server compares the secret itself (and a
 * reader of the database or a backup still cannot use it).
 */
let key: Buffer | undefined;
const sealingKey = () => (key ??= deriveKey("smart-client-secret"));

export function newClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function sealClientSecret(secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
}

export function openClientSecret(sealed: string): string {
  if (!sealed.startsWith("v1.")) throw new Error("Unknown client secret format.");
  const raw = Buffer.from(sealed.slice(3), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}
