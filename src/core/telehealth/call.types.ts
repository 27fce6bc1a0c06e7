import { z } from "zod";
import { zUuid } from "../http/parse";

/** POST /api/v1/appointments/{id}/call */
export const ZCallActionRequest = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("start") }),
  z.strictObject({ action: z.literal("end") }),
  z.strictObject({ action: z.literal("add_member"), user_id: zUuid }),
]);
export type TCallActionRequest = z.infer<typeof ZCallActionRequest>;

/** What a client may send on a call topic (app.send_call_signal checks each). */
export const SIGNAL_KINDS = ["join", "hello", "leave", "admit", "offer", "answer", "ice", "state", "member_added"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export type CallRole = "patient" | "provider" | "member";

export interface CallRecord {
  id: string;
  started_at: string;
  ended_at: string | null;
  admitted: string[];
  joined: string[];
  members: string[];
  visit_id: string | null;
}

export interface CallState {
  appointment_id: string;
  topic: string;
  role: CallRole;
  user_id: string;
  appointment: { starts_at: string; ends_at: string; status: string; patient_id: string; provider_id: string };
  /** The open call, or the last one when none is open (null before the first start). */
  call: CallRecord | null;
  ice_servers: { urls: string[]; username?: string; credential?: string }[];
  /** When the TURN credentials stop working (null without TURN). */
  ice_expires_at: string | null;
}
