import { sql } from "kysely";
import { withUser, type RequestContext } from "../db/with-user";
import type { Session } from "../auth/session-types";
import { ForbiddenError } from "../errors";
import { mailConfig } from "./mail-config";
import type { MailKind } from "./templates";

export interface OutboxEntry {
  id: string;
  kind: MailKind;
  to_address: string;
  subject: string;
  status: "pending" | "held" | "sent" | "failed";
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface OutboxView {
  /** "smtp": mail is sent; "held": no SMTP_URL, mail is kept here and nothing leaves the machine. */
  delivery: "smtp" | "held";
  entries: OutboxEntry[];
}

/**
 * The newest mails in the outbox, for admins at aal2 (the database's policy decides:
 * "Admins read the outbox"). Never the body: its column is not granted to admins.
 */
export async function listOutbox(session: Session, context: RequestContext = {}, limit = 100): Promise<OutboxView> {
  if (session.role !== "admin") throw new ForbiddenError("Only administrators can see the outbox.");
  if (session.aal !== "aal2") throw new ForbiddenError("Sign in with two-factor authentication to see the outbox.", "mfa_required");
  const entries = await withUser(session, async (tx) => {
    const { rows } = await sql<OutboxEntry>`
      select id, kind, to_address, subject, status, attempts, next_attempt_at, last_error, created_at, sent_at
        from app.mail_outbox order by created_at desc limit ${limit}`.execute(tx);
    return rows.map((r) => ({
      ...r,
      attempts: Number(r.attempts),
      next_attempt_at: new Date(r.next_attempt_at).toISOString(),
      created_at: new Date(r.created_at).toISOString(),
      sent_at: r.sent_at ? new Date(r.sent_at).toISOString() : null,
    }));
  }, context);
  return { delivery: mailConfig().smtpUrl ? "smtp" : "held", entries };
}
