import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext, type Tx } from "../db/with-user";
import { ForbiddenError, NotFoundError } from "../errors";
import type { MessageView, TListMessagesQuery } from "./messages.types";

/**
 * The care team's channel about one patient, newest first. Staff only: a patient may see
 * their own record but not this channel (403); a record the caller cannot see is 404.
 * Reading the newest page moves the caller's read marker (unread counts), unless
 * `markRead: false` (the chart renders the channel in a tab the user may never open; the
 * tab moves the marker when it is shown).
 */
export async function listMessages(
  session: Session,
  patientId: string,
  query: TListMessagesQuery,
  context: RequestContext = {},
  options: { markRead?: boolean } = {},
): Promise<{ data: MessageView[]; unread_before: number }> {
  return withUser(
    session,
    async (tx) => {
      await assertChannelVisible(tx, session, patientId);
      let q = tx
        .selectFrom("care_messages as m")
        .leftJoin("auth.users as u", "u.id", "m.sender_id")
        .select(["m.id", "m.patient_id", "m.sender_id", "u.full_name as sender_name", "m.message", "m.priority", "m.created_at"])
        .where("m.patient_id", "=", patientId)
        .orderBy("m.created_at", "desc")
        .orderBy("m.id", "desc")
        .limit(query.limit);
      if (query.before) q = q.where("m.created_at", "<", new Date(query.before));
      if (query.before_id) {
        // Keyset on (created_at, id), compared in SQL at full precision. An id that is not
        // a message of this patient's channel (as RLS lets the caller see) matches nothing.
        q = q.where(
          sql<boolean>`(m.created_at, m.id) < (select k.created_at, k.id from public.care_messages k where k.id = ${query.before_id} and k.patient_id = ${patientId})`,
        );
      }
      const rows = await q.execute();
      let unread = 0;
      if (!query.before && !query.before_id && session.role === "provider") {
        unread = (await unreadCounts(tx, [patientId]))[patientId] ?? 0;
        if (rows.length > 0 && options.markRead !== false) await markRead(tx, patientId, rows[0].id);
      }
      await recordRead(tx, { kind: "messages", patientIds: [patientId], recordIds: rows.map((r) => r.id) });
      return {
        unread_before: unread,
        data: rows.map((r) => ({
          id: r.id,
          patient_id: r.patient_id,
          sender_id: r.sender_id,
          sender_name: r.sender_name ?? null,
          message: r.message,
          priority: r.priority,
          created_at: new Date(r.created_at).toISOString(),
        })),
      };
    },
    context,
  );
}

/** 404 when the caller cannot see the patient at all; 403 for the patient themself. */
export async function assertChannelVisible(tx: Tx, session: Session, patientId: string): Promise<void> {
  const visible = await tx.selectFrom("patients").select("id").where("id", "=", patientId).executeTakeFirst();
  if (!visible) throw new NotFoundError("patient");
  if (session.role === "patient") throw new ForbiddenError("The care-team channel is for the care team.");
}

/**
 * Moves the caller's read marker forward (never back) to the time of message `upTo`.
 * The time is taken in SQL: PostgreSQL keeps microseconds, a JS Date only milliseconds.
 */
export async function markRead(tx: Tx, patientId: string, upTo: string): Promise<void> {
  await sql`
    insert into public.care_message_reads (user_id, patient_id, last_read_at)
    select (select auth.uid()), m.patient_id, m.created_at
      from public.care_messages m
     where m.id = ${upTo} and m.patient_id = ${patientId}
    on conflict (user_id, patient_id) do update
      set last_read_at = greatest(public.care_message_reads.last_read_at, excluded.last_read_at)`.execute(tx);
}

/**
 * Unread care-team messages per patient for the caller (messages by others after their
 * read marker). Call inside the caller's withUser transaction: RLS limits it to the
 * channels the caller may read, so unknown patients simply count 0.
 */
export async function unreadCounts(tx: Tx, patientIds: string[]): Promise<Record<string, number>> {
  if (patientIds.length === 0) return {};
  const { rows } = await sql<{ patient_id: string; n: string }>`
    select m.patient_id, count(*) as n
      from public.care_messages m
      left join public.care_message_reads r on r.patient_id = m.patient_id and r.user_id = (select auth.uid())
     where m.patient_id = any (${patientIds}::uuid[])
       and m.sender_id <> (select auth.uid())
       and m.created_at > coalesce(r.last_read_at, '-infinity'::timestamptz)
     group by m.patient_id`.execute(tx);
  const out: Record<string, number> = {};
  for (const id of patientIds) out[id] = 0;
  for (const r of rows) out[r.patient_id] = Number(r.n);
  return out;
}
