import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import { asService } from "../db/with-user";
import { log } from "../log";
import { mailConfig, type MailConfig } from "./mail-config";
import { openMailBody } from "./seal-mail-body";

/** What the worker needs of a transport: nodemailer's SMTP transport in production and in tests. */
export interface MailTransport {
  sendMail(message: { from: string; to: string; subject: string; text: string; html: string; messageId: string }): Promise<unknown>;
  close?(): void;
}

/**
 * nodemailer over SMTP_URL, with timeouts well inside the lease so a hung server cannot
 * outlive a claim. Pooled: up to two connections are kept open and reused (a new SMTP
 * connection per mail cost ~100 ms on loopback, a reused one ~15 ms; docs/mail.md).
 */
export function smtpTransport(url: string): MailTransport {
  const u = new URL(url);
  const secure = u.protocol === "smtps:";
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 2,
    host: u.hostname,
    port: Number(u.port || (secure ? 465 : 587)),
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

/** Attempts before a mail is given up; with the back-off below, about a day. */
export const MAX_ATTEMPTS = 12;
/** A claim lasts this long; sending one mail times out well before (timeouts above). */
export const LEASE_SECONDS = 120;

/**
 * Seconds before attempt `attempt + 1`: 5 s, 15 s, 45 s, … tripling up to 6 h, ±20 %. The
 * first retry comes within 10 s; twelve attempts span about 22 hours.
 */
export function retryDelaySeconds(attempt: number, random = Math.random): number {
  const base = Math.min(6 * 3600, 5 * 3 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()) * 10) / 10;
}

export interface DeliveryRound {
  sent: number;
  retrying: number;
  failed: number;
}

interface Claimed {
  id: string;
  to_address: string;
  subject: string;
  body_sealed: string;
  attempts: number;
}

/** The SMTP server refused the message for good (5xx): retrying would not help. */
function isPermanent(e: unknown): boolean {
  const code = Number((e as { responseCode?: number })?.responseCode);
  return code >= 500 && code < 600;
}

/** What the admins' Outbox page shows about a failure: the SMTP code and reply, never the body. */
function describe(e: unknown): string {
  const err = e as { code?: string; responseCode?: number; message?: string };
  return [err.code, err.responseCode, err.message].filter((x) => x !== undefined && x !== "").join(" ").slice(0, 500) || "Unknown error";
}

/**
 * One round of the worker: leases up to `batch` due mails, sends each, and records the
 * outcome. The lease is taken with FOR UPDATE SKIP LOCKED and committed before sending
 * (a transaction held open across SMTP would block the embedded engine's single
 * connection), so several workers never hold the same mail at once. Each mail is sent with
 * its outbox id as Message-ID: should a worker die between the SMTP server's acceptance and
 * marking it sent, the retry after the lease carries the same Message-ID, which receiving
 * servers use to drop the duplicate.
 */
export async function deliverDueMail(
  transport: MailTransport,
  options: { batch?: number; config?: MailConfig; leaseSeconds?: number; retryDelay?: (attempt: number) => number } = {},
): Promise<DeliveryRound> {
  const config = options.config ?? mailConfig();
  const leaseId = randomUUID();
  const claimed = await asService("mail worker: lease due mail", async (tx) => {
    const { rows } = await sql<Claimed>`
      update app.mail_outbox
         set lease_id = ${leaseId}, lease_until = now() + make_interval(secs => ${options.leaseSeconds ?? LEASE_SECONDS}),
             attempts = attempts + 1
       where id in (select id from app.mail_outbox
                     where status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
                     order by next_attempt_at
                     limit ${options.batch ?? 10}
                     for update skip locked)
      returning id, to_address, subject, body_sealed, attempts`.execute(tx);
    return rows;
  });
  const round: DeliveryRound = { sent: 0, retrying: 0, failed: 0 };
  const host = new URL(config.publicUrl).hostname;
  for (const mail of claimed) {
    try {
      const body = openMailBody(mail.body_sealed);
      await transport.sendMail({ from: config.from, to: mail.to_address, subject: mail.subject, text: body.text, html: body.html, messageId: `<${mail.id}@${host}>` });
    } catch (e) {
      const giveUp = isPermanent(e) || mail.attempts >= MAX_ATTEMPTS;
      const delay = (options.retryDelay ?? retryDelaySeconds)(mail.attempts);
      await asService("mail worker: record a failed attempt", (tx) =>
        sql`update app.mail_outbox
               set status = ${giveUp ? "failed" : "pending"}, last_error = ${describe(e)},
                   next_attempt_at = now() + make_interval(secs => ${delay}), lease_id = null, lease_until = null
             where id = ${mail.id} and lease_id = ${leaseId}`.execute(tx),
      );
      log.warn({ mailId: mail.id, attempts: mail.attempts, giveUp, err: describe(e) }, "mail not delivered");
      round[giveUp ? "failed" : "retrying"]++;
      continue;
    }
    await asService("mail worker: mark sent", (tx) =>
      sql`update app.mail_outbox set status = 'sent', sent_at = now(), last_error = null, lease_id = null, lease_until = null
           where id = ${mail.id} and lease_id = ${leaseId}`.execute(tx),
    );
    round.sent++;
  }
  return round;
}
