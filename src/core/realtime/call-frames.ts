import { z } from "zod";
import { SIGNAL_KINDS } from "../telehealth/call.types";

/** The call topic and the client's `signal` frame (call-relay.ts; docs/telehealth.md). */
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const CALL_TOPIC = new RegExp(`^appointment:(${UUID}):call$`);

export function parseCallTopic(topic: string): { topic: string; appointmentId: string } | null {
  const m = CALL_TOPIC.exec(topic.toLowerCase());
  return m ? { topic: `appointment:${m[1]}:call`, appointmentId: m[1] } : null;
}

export const isCallTopic = (topic: string) => topic.toLowerCase().startsWith("appointment:");

/** `{"type":"signal","topic":"appointment:<id>:call","kind":…,"to"?:<user id>,"data"?:{…}}` */
export const ZSignalFrame = z.strictObject({
  type: z.literal("signal"),
  topic: z.string().max(200),
  kind: z.enum(SIGNAL_KINDS),
  to: z.string().regex(new RegExp(`^${UUID}$`, "i")).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type SignalFrame = z.infer<typeof ZSignalFrame>;

