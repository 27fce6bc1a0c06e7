import { log } from "../log";
import { deliverDueMail, smtpTransport, type MailTransport } from "./deliver-due-mail";
import { mailConfig } from "./mail-config";
import { env } from "../config/env";

/**
 * Delivers the outbox every `intervalMs` (and at once after a full batch) until stopped.
 * Without SMTP_URL it does not start: mail is held (docs/mail.md). Returns the stop
 * function, which waits for the round in progress.
 */
export function startMailWorker(
  options: { intervalMs?: number; transport?: MailTransport; onError?: (e: unknown) => void } = {},
): () => Promise<void> {
  const config = mailConfig();
  if (!config.smtpUrl && !options.transport) {
    log.info("SMTP_URL is not set: mail is held in the outbox (admins see it at /admin/outbox)");
    return async () => {};
  }
  if (!env().PUBLIC_URL) log.warn({ publicUrl: config.publicUrl }, "PUBLIC_URL is not set: links in mail point at this default; set it to the portal's address");
  const transport = options.transport ?? smtpTransport(config.smtpUrl!);
  const interval = options.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      let again = false;
      try {
        const r = await deliverDueMail(transport, { config });
        again = r.sent + r.retrying + r.failed >= 10;
      } catch (e) {
        (options.onError ?? ((err) => log.error({ err: (err as Error)?.message }, "mail worker round failed")))(e);
      }
      if (!stopped) timer = setTimeout(tick, again ? 0 : interval);
    })();
  };
  timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
    transport.close?.();
  };
}
