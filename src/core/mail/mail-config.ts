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

export function mailConfig(env: Record<string, string | undefined> = process.env): MailConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error("SMTP_URL must start with smtp:// or smtps:// (for example smtp://user:password@mail.example.org:587).");
  }
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, "");
  const clinicName = env.CLINIC_NAME?.trim() || "Carebase Clinic";
  const from = env.MAIL_FROM?.trim() || `${clinicName} <no-reply@${new URL(publicUrl).hostname}>`;
  return { smtpUrl, from, publicUrl, clinicName };
}
