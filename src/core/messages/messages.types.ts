import { z } from "zod";

export const ZPostMessageRequest = z.strictObject({
  message: z.string().trim().min(1, "must not be empty").max(5000, "must be at most 5000 characters"),
  priority: z.enum(["normal", "urgent"]).default("normal"),
});
export type TPostMessageRequest = z.output<typeof ZPostMessageRequest>;

export const ZListMessagesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** ISO timestamp: messages strictly older than this (paging back through the channel). */
  before: z.iso.datetime({ offset: true }).optional(),
  /**
   * A message id: messages older than that one, exact to the microsecond with ties broken
   * by id (a millisecond `before` can skip a message written in the same millisecond).
   */
  before_id: z.uuid().optional(),
});
export type TListMessagesQuery = z.output<typeof ZListMessagesQuery>;

export interface MessageView {
  id: string;
  patient_id: string;
  sender_id: string;
  sender_name: string | null;
  message: string;
  priority: "normal" | "urgent";
  created_at: string;
}
