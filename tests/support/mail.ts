import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ParsedMail } from "mailparser";
import { deliverDueMail, smtpTransport } from "@/core/mail/deliver-due-mail";
import { startTestSmtp, type TestSmtp } from "./smtp";

/**
 * Mail for one describe block: a test SMTP server, with SMTP_URL pointed at it and the
 * clinic's PUBLIC_URL (https://portal.clinic.test) and CLINIC_NAME (Riverside Clinic) set,
 * all three restored afterwards; the server's mails are cleared before each test. Read
 * `mail.smtp` inside hooks and tests.
 */
export function useClinicMail(): { readonly smtp: TestSmtp } {
  const mail = {} as { smtp: TestSmtp };
  const saved = { SMTP_URL: process.env.SMTP_URL, PUBLIC_URL: process.env.PUBLIC_URL, CLINIC_NAME: process.env.CLINIC_NAME };
  beforeAll(async () => {
    mail.smtp = await startTestSmtp();
    process.env.SMTP_URL = mail.smtp.url;
    process.env.PUBLIC_URL = "https://portal.clinic.test";
    process.env.CLINIC_NAME = "Riverside Clinic";
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await mail.smtp?.close();
  });
  beforeEach(() => {
    if (mail.smtp) mail.smtp.mails.length = 0;
  });
  return mail;
}

/**
 * Runs the mail worker (`workers` at once, `batch` mails a lease) until no mail is due, lets
 * the SMTP server finish parsing, and returns what it received since its mails were cleared.
 */
export async function deliverAll(smtp: TestSmtp, { workers = 1, batch }: { workers?: number; batch?: number } = {}): Promise<ParsedMail[]> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const transport = smtpTransport(smtp.url);
      while ((await deliverDueMail(transport, batch ? { batch } : {})).sent > 0) {
        /* next batch */
      }
      transport.close?.();
    }),
  );
  await new Promise((r) => setTimeout(r, 150));
  return [...smtp.mails];
}
