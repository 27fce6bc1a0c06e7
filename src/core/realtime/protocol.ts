import { z } from "zod";
import { ZSignalFrame } from "./call-frames";

/**
 * The /realtime/v1 protocol (docs/realtime.md). Client → server frames are JSON:
 *   {"type":"subscribe","topic":"patient:<id>:messages|vitals|chart","since"?:<last event id>}
 *   {"type":"unsubscribe","topic":...}
 *   {"type":"ping"}
 * Server → client: subscribed | unsubscribed | event | error | pong.
 */
export type TopicKind = "messages" | "vitals" | "chart";
/** emergency_access_grants: a break-the-glass access opened or ended on the chart (0700): the care team is told at once. */
export type ChangeTable = "care_messages" | "vitals" | "visits" | "prescriptions" | "documents" | "appointments" | "emergency_access_grants";

/** Which tables feed which topic. Patients are never offered `messages` (staff channel). */
export const TABLES_BY_KIND: Record<TopicKind, readonly ChangeTable[]> = {
  messages: ["care_messages"],
  vitals: ["vitals"],
  chart: ["visits", "prescriptions", "documents", "appointments", "vitals", "emergency_access_grants"],
};

const TOPIC = /^patient:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(messages|vitals|chart)$/;

export interface Topic {
  topic: string;
  patientId: string;
  kind: TopicKind;
}

export function parseTopic(topic: string): Topic | null {
  const m = TOPIC.exec(topic.toLowerCase());
  return m ? { topic: `patient:${m[1]}:${m[2]}`, patientId: m[1], kind: m[2] as TopicKind } : null;
}

export const ZClientFrame = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("subscribe"),
    topic: z.string().max(200),
    since: z.union([z.number().int().min(0), z.string().regex(/^\d{1,18}$/)]).optional(),
  }),
  z.strictObject({ type: z.literal("unsubscribe"), topic: z.string().max(200) }),
  z.strictObject({ type: z.literal("ping") }),
  // telehealth signaling on appointment:<id>:call (call-relay.ts, docs/telehealth.md)
  ZSignalFrame,
]);
export type ClientFrame = z.infer<typeof ZClientFrame>;

/** The NOTIFY payload written by app.capture_row_change / app.capture_vitals_batch. */
export const ZChangeNotice = z.object({
  table: z.enum(["care_messages", "vitals", "visits", "prescriptions", "documents", "appointments", "emergency_access_grants"]),
  op: z.enum(["INSERT", "UPDATE", "DELETE"]),
  id: z.string().nullable().optional(),
  patient_id: z.string(),
  event_id: z.number().int(),
});
export type ChangeNotice = z.infer<typeof ZChangeNotice>;

export interface ErrorFrame {
  type: "error";
  code: string;
  message: string;
  topic?: string;
}
