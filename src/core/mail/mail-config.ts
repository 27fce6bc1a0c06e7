import { envFrom, type EnvSource } from "../config/env";

/**
 * Mail settings from the environment (docs/mail.md), read on each call so tests and
 * scripts can set them late. Without SMTP_URL (the embedded default) nothing leaves the
 * machine: mail is kept as "held" and listed on the admins' Outbox page.
 */
export interface MailConfig {
  /** smtp://[user:pass@]host:port or smtps://…; undefined: mail is held. */
  smtpUrl: string | undefined;
  /** The From address, e.g. "Carebase <no-reply@clinic.example>". */
  from: string;
  /** The portal's public address, for links in mail (no trailing slash). */
  publicUrl: string;
  /** The clinic's name as mail shows it. */
  clinicName: string;
}

export function mailConfig(source?: EnvSource): MailConfig {
  const e = envFrom(source);
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const clinicName = e.CLINIC_NAME;
  const from = e.MAIL_FROM ?? `${clinicName} <no-reply@${new URL(publicUrl).hostname}>`;
  return { smtpUrl: e.SMTP_URL, from, publicUrl, clinicName };
}
