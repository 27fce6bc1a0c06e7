import { sql } from "kysely";
import { z } from "zod";
import { recordRead } from "../audit/record";
import { staffIdleMinutes } from "../auth/staff-idle";
import { asService, withUser } from "../db/with-user";
import { AppError } from "../errors";
import { log } from "../log";
import { callError } from "../telehealth/call-errors";
import { myCallRole } from "../telehealth/get-call";
import { sendCallSignal } from "../telehealth/send-call-signal";
import { parseCallTopic, type SignalFrame } from "./call-frames";

export { isCallTopic, parseCallTopic } from "./call-frames";
import { send, sendError, type Conn, type Connections } from "./connections";

/**
 * Telehealth signaling on /realtime/v1 (docs/telehealth.md). A call is the topic
 * `appointment:<id>:call`; subscribing runs app.my_call_role as the user (not_found for
 * anyone who may not join). A `signal` frame becomes a row of app.call_signals through
 * app.send_call_signal (the waiting room and the provider's powers are decided there);
 * its commit NOTIFYs `carebase_call_signals` with the row's id, every instance's listener
 * hears it, and the instances holding sockets of that call read the row once and relay it,
 * re-checking every recipient's session and right to join in the same query. Frames of one
 * socket are written in order, and each call's frames are relayed in id order. Media never
 * passes through here: only SDP and ICE candidates.
 */
export const CALL_SIGNALS_CHANNEL = "carebase_call_signals";

const ZNotice = z.object({ id: z.number().int(), appointment_id: z.string() });

/** Calls one socket may follow at once (each subscription is a database check). */
const MAX_CALLS_PER_SOCKET = 4;

/** Who receives a frame: everyone but its sender, or only its recipient (admission and members go to all). */
const BROADCAST_KINDS = new Set(["started", "ended", "admit", "member_added"]);

export interface CallRelayStats {
  signalsIn: number;
  signalsOut: number;
  relayQueries: number;
}

export class CallRelay {
  readonly stats: CallRelayStats = { signalsIn: 0, signalsOut: 0, relayQueries: 0 };
  /** Sockets subscribed to a call, by appointment id. */
  private readonly rooms = new Map<string, Set<Conn>>();
  private readonly joinedBy = new WeakMap<Conn, Set<string>>();
  /** One write chain per socket (its frames commit in the order sent), one relay chain per call. */
  private readonly writes = new WeakMap<Conn, Promise<void>>();
  private readonly relays = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly conns: Connections) {}

  start(pruneEveryMs = 60_000): void {
    this.timer = setInterval(() => void this.prune(), pruneEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.relays.values()]);
  }

  /** Frames older than two minutes are of no use to anyone (a late joiner is sent fresh ones). */
  async prune(): Promise<void> {
    try {
      await asService("telehealth: prune relayed call signals", (tx) => sql`select app.prune_call_signals(interval '2 minutes')`.execute(tx));
    } catch (e) {
      log.warn({ err: (e as Error).message }, "telehealth: pruning call signals failed");
    }
  }

  /** subscribe / unsubscribe of a call topic. */
  async subscription(conn: Conn, type: "subscribe" | "unsubscribe", rawTopic: string): Promise<void> {
    const topic = parseCallTopic(rawTopic);
    if (!topic) return sendError(conn, "invalid_topic", "Call topics look like appointment:<uuid>:call.", rawTopic.slice(0, 200));
    if (type === "unsubscribe") {
      this.leaveRoom(conn, topic.appointmentId);
      return send(conn, { type: "unsubscribed", topic: topic.topic });
    }
    const mine = this.joinedBy.get(conn);
    if (mine?.has(topic.appointmentId)) return send(conn, { type: "subscribed", topic: topic.topic });
    if ((mine?.size ?? 0) >= MAX_CALLS_PER_SOCKET) {
      return sendError(conn, "too_many_subscriptions", `At most ${MAX_CALLS_PER_SOCKET} calls per connection.`, topic.topic);
    }
    let role: string | null;
    try {
      role = await withUser(conn.session, async (tx) => {
        const r = await myCallRole(tx, topic.appointmentId);
        if (r) {
          const pid = (await sql<{ p: string }>`select patient_id as p from public.appointments where id = ${topic.appointmentId}`.execute(tx)).rows[0]?.p;
          if (pid) await recordRead(tx, { kind: "appointments", patientIds: [pid], recordIds: [topic.appointmentId], details: { realtime: "subscribe", topic: topic.topic } });
        }
        return r;
      });
    } catch (e) {
      if (e instanceof AppError && (e.status === 401 || e.status === 403)) return this.conns.endSession(conn);
      throw e;
    }
    if (conn.closed) return;
    if (!role) return sendError(conn, "not_found", "No such topic, or it is not visible to you.", topic.topic);
    let room = this.rooms.get(topic.appointmentId);
    if (!room) this.rooms.set(topic.appointmentId, (room = new Set()));
    room.add(conn);
    let rooms = this.joinedBy.get(conn);
    if (!rooms) this.joinedBy.set(conn, (rooms = new Set()));
    rooms.add(topic.appointmentId);
    send(conn, { type: "subscribed", topic: topic.topic, role, user_id: conn.session.userId });
  }

  /** A signal frame from a subscribed socket: written through app.send_call_signal, in the socket's order. */
  signal(conn: Conn, frame: SignalFrame): Promise<void> {
    const prev = this.writes.get(conn) ?? Promise.resolve();
    const next = prev.then(() => this.writeSignal(conn, frame));
    this.writes.set(conn, next.catch(() => {}));
    return next;
  }

  private async writeSignal(conn: Conn, frame: SignalFrame): Promise<void> {
    const topic = parseCallTopic(frame.topic);
    if (!topic) return sendError(conn, "invalid_topic", "Call topics look like appointment:<uuid>:call.", frame.topic.slice(0, 200));
    if (!this.rooms.get(topic.appointmentId)?.has(conn)) {
      return sendError(conn, "not_subscribed", "Subscribe to the call topic first.", topic.topic);
    }
    const data = frame.data ?? {};
    if (Buffer.byteLength(JSON.stringify(data)) > 15_000) return sendError(conn, "invalid_message", "The signal is too large.", topic.topic);
    this.stats.signalsIn++;
    try {
      await sendCallSignal(conn.session, topic.appointmentId, frame.kind, frame.to ?? null, data);
    } catch (e) {
      const mapped = e instanceof AppError ? e : callError(e);
      if (mapped && (mapped.status === 401 || (mapped.status === 403 && mapped.code === "mfa_required"))) return this.conns.endSession(conn);
      if (mapped) return send(conn, { type: "error", code: mapped.code, message: mapped.message, topic: topic.topic, kind: frame.kind });
      throw e;
    }
  }

  /** A NOTIFY from any instance: relay the frame to this instance's sockets of that call, in id order per call. */
  onNotice(payload: string): void {
    let n: z.infer<typeof ZNotice>;
    try {
      n = ZNotice.parse(JSON.parse(payload));
    } catch {
      log.warn("telehealth: ignored a malformed call-signal notice");
      return;
    }
    if (!this.rooms.has(n.appointment_id)) return; // nobody here: no query at all
    const key = n.appointment_id;
    const next = (this.relays.get(key) ?? Promise.resolve())
      .then(() => this.relay(n.id, key))
      .catch((e: Error) => log.error({ signal: n.id, err: e.message }, "telehealth: relaying a call signal failed"))
      .finally(() => {
        if (this.relays.get(key) === next) this.relays.delete(key);
      });
    this.relays.set(key, next);
  }

  private async relay(id: number, appointmentId: string): Promise<void> {
    const room = [...(this.rooms.get(appointmentId) ?? [])].filter((c) => !c.closed);
    if (room.length === 0) return;
    this.stats.relayQueries++;
    // ONE query: the frame, its sender's role, and which recipients' sessions are live and may still join.
    const row = await asService("telehealth: relay a call signal to this instance's participants", async (tx) =>
      (
        await sql<{ sender_id: string; recipient_id: string | null; kind: string; payload: unknown; from_role: string | null; allowed: string[] }>`
          select s.sender_id::text, s.recipient_id::text, s.kind, s.payload, app.call_role(s.sender_id, s.appointment_id) as from_role,
                 array(select distinct c.uid::text
                         from unnest(${room.map((c) => c.session.sessionId)}::uuid[], ${room.map((c) => c.session.userId)}::uuid[]) as c(sid, uid)
                        where auth.session_is_live(c.sid, c.uid, ${staffIdleMinutes()})
                          and (s.kind = 'ended' or app.call_role(c.uid, s.appointment_id) is not null)) as allowed
            from app.call_signals s where s.id = ${id}`.execute(tx)
      ).rows[0],
    );
    if (!row) return; // pruned already
    const allowed = new Set(row.allowed);
    const frame = JSON.stringify({
      type: "signal",
      topic: `appointment:${appointmentId}:call`,
      id,
      kind: row.kind,
      from: row.sender_id,
      from_role: row.from_role,
      ...(row.recipient_id ? { to: row.recipient_id } : {}),
      data: row.payload,
    });
    const broadcast = !row.recipient_id || BROADCAST_KINDS.has(row.kind);
    for (const conn of room) {
      const uid = conn.session.userId;
      if (uid === row.sender_id && row.kind !== "started" && row.kind !== "ended") continue;
      if (!broadcast && uid !== row.recipient_id) continue;
      if (!allowed.has(uid)) {
        // removed from the team, session ended: out of the call
        this.leaveRoom(conn, appointmentId);
        sendError(conn, "not_found", "No such topic, or it is not visible to you.", `appointment:${appointmentId}:call`);
        continue;
      }
      send(conn, frame);
      this.stats.signalsOut++;
    }
  }

  private leaveRoom(conn: Conn, appointmentId: string): void {
    const room = this.rooms.get(appointmentId);
    room?.delete(conn);
    if (room?.size === 0) this.rooms.delete(appointmentId);
    this.joinedBy.get(conn)?.delete(appointmentId);
  }

  /** A socket closed: out of its calls, and the others are told it left (best effort). */
  forget(conn: Conn): void {
    const mine = this.joinedBy.get(conn);
    if (!mine) return;
    for (const appointmentId of [...mine]) {
      this.leaveRoom(conn, appointmentId);
      sendCallSignal(conn.session, appointmentId, "leave", null, { reason: "disconnected" }).catch(() => {});
    }
  }
}
