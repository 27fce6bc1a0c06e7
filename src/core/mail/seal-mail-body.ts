import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey } from "../config";

/**
 * Outbox bodies at rest: AES-256-GCM under deriveKey("mail-outbox"). A body may carry a
 * password-reset link, which nobody reading the database or a backup should be able to use.
 */
let key: Buffer | undefined;
const sealingKey = () => (key ??= deriveKey("mail-outbox"));

export interface MailBody {
  text: string;
  html: string;
}

export function sealMailBody(body: MailBody): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(body), "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url")}`;
}

export function openMailBody(sealed: string): MailBody {
  if (!sealed.startsWith("v1.")) throw new Error("Unknown outbox body format.");
  const raw = Buffer.from(sealed.slice(3), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as MailBody;
}
