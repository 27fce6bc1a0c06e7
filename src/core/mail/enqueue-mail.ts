import { sql } from "kysely";
import type { Tx } from "../db/with-user";
import { mailConfig, type MailConfig } from "./mail-config";
import { sealMailBody } from "./seal-mail-body";
import { renderMail, type MailKind, type MailParams } from "./templates";

export interface OutgoingMail<K extends MailKind> {
  kind: K;
  to: string;
  params: MailParams[K];
}

export interface PreparedMail {
  kind: MailKind;
  to: string;
  subject: string;
  bodySealed: string;
  status: "pending" | "held";
}

/** Renders and seals a mail: everything enqueueMail does before its insert. */
export function prepareMail<K extends MailKind>(mail: OutgoingMail<K>, config: MailConfig = mailConfig()): PreparedMail {
  const rendered = renderMail(mail.kind, mail.params, config);
  return {
    kind: mail.kind,
    to: mail.to,
    subject: rendered.subject,
    bodySealed: sealMailBody({ text: rendered.text, html: rendered.html }),
    status: config.smtpUrl ? "pending" : "held",
  };
}

/**
 * Puts a mail in the outbox inside the caller's transaction (a service transaction:
 * asService), so it is sent if and only if the event that causes it commits. The worker
 * (deliver-due-mail.ts) sends it; without SMTP_URL it is kept as "held" for the admins'
 * Outbox page. Returns the mail's id, which is also its Message-ID.
 */
export async function enqueueMail<K extends MailKind>(tx: Tx, mail: OutgoingMail<K>, config: MailConfig = mailConfig()): Promise<string> {
  const m = prepareMail(mail, config);
  const { rows } = await sql<{ id: string }>`
    insert into app.mail_outbox (kind, to_address, subject, body_sealed, status)
    values (${m.kind}, ${m.to}, ${m.subject}, ${m.bodySealed}, ${m.status})
    returning id`.execute(tx);
  return rows[0].id;
}
