import { sql } from "kysely";
import { asService } from "../db/with-user";
import { log } from "../log";
import { prepareMail } from "./enqueue-mail";
import { mailConfig, type MailConfig } from "./mail-config";

/** A reminder goes for a confirmed appointment that starts within this many hours … */
export const REMINDER_AHEAD_HOURS = 24;
/** … and no later than this many hours before it (a reminder right before is no use). */
export const REMINDER_LAST_HOURS = 1;

/** The outbox key that makes a reminder unique: one per appointment and start time (a moved appointment is reminded again). */
export const reminderKey = (appointmentId: string, startsAtEpoch: number | string) => `appointment_reminder:${appointmentId}:${startsAtEpoch}`;

/**
 * One round of the reminder job: queues a reminder for every confirmed appointment starting
 * in the next day whose patient has an active portal account that wants notices. Sent once
 * per appointment whoever runs it, however often: each reminder carries a unique outbox key
 * (`dedupe_key`, unique index), and the insert does nothing when the key exists. Two
 * instances racing on the same appointment both try the insert; the second waits on the
 * unique index and then does nothing. The mail says only that there is an appointment
 * (templates.ts), no time, provider or reason.
 */
export async function sendAppointmentReminders(options: { config?: MailConfig; batch?: number } = {}): Promise<{ queued: number }> {
  const config = options.config ?? mailConfig();
  return asService("appointment reminders: queue tomorrow's reminders (a job, no user)", async (tx) => {
    const { rows } = await sql<{ id: string; starts: string; email: string }>`
      select a.id, extract(epoch from a.starts_at)::bigint::text as starts, u.email
        from public.appointments a
        join public.patients pt on pt.id = a.patient_id
        join auth.users u on u.id = pt.user_id and u.is_active and u.mail_notices
       where a.status = 'confirmed'
         and a.starts_at > now() + make_interval(hours => ${REMINDER_LAST_HOURS})
         and a.starts_at <= now() + make_interval(hours => ${REMINDER_AHEAD_HOURS})
         and not exists (select 1 from app.mail_outbox o
                          where o.dedupe_key = 'appointment_reminder:' || a.id::text || ':' || extract(epoch from a.starts_at)::bigint::text)
       order by a.starts_at
       limit ${options.batch ?? 200}`.execute(tx);
    let queued = 0;
    for (const r of rows) {
      const m = prepareMail({ kind: "appointment_reminder", to: r.email, params: {} }, config);
      const inserted = await sql<{ id: string }>`
        insert into app.mail_outbox (kind, to_address, subject, body_sealed, status, dedupe_key)
        values (${m.kind}, ${m.to}, ${m.subject}, ${m.bodySealed}, ${m.status}, ${reminderKey(r.id, r.starts)})
        on conflict (dedupe_key) where dedupe_key is not null do nothing
        returning id`.execute(tx);
      queued += inserted.rows.length;
    }
    return { queued };
  });
}

/**
 * Runs sendAppointmentReminders every `intervalMs` (5 minutes by default) until stopped; the
 * stop function waits for the round in progress. Safe on every instance at once (see above).
 */
export function startReminderJob(options: { intervalMs?: number; onError?: (e: unknown) => void } = {}): () => Promise<void> {
  const interval = options.intervalMs ?? 5 * 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        const { queued } = await sendAppointmentReminders();
        if (queued) log.info({ queued }, "appointment reminders queued");
      } catch (e) {
        (options.onError ?? ((err) => log.error({ err: (err as Error)?.message }, "appointment reminders failed")))(e);
      }
      if (!stopped) timer = setTimeout(tick, interval);
    })();
  };
  timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
