import { z } from "zod";
import { zUuid } from "../http/parse";

const dateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time" });

export const ZCreateAppointmentRequest = z
  .object({
    provider_id: zUuid,
    starts_at: dateTime,
    ends_at: dateTime,
    reason: z.string().trim().max(1000).nullable().optional(),
  })
  .refine((v) => Date.parse(v.ends_at) > Date.parse(v.starts_at), { message: "must be after the start", path: ["ends_at"] })
  .refine((v) => Date.parse(v.ends_at) - Date.parse(v.starts_at) <= 12 * 3600_000, { message: "an appointment lasts at most 12 hours", path: ["ends_at"] })
  .refine((v) => Date.parse(v.starts_at) > Date.now() - 5 * 60_000, { message: "must be in the future", path: ["starts_at"] });
export type TCreateAppointmentRequest = z.infer<typeof ZCreateAppointmentRequest>;

export const APPOINTMENT_STATUSES = ["requested", "confirmed", "declined", "cancelled", "completed"] as const;
export const ZUpdateAppointmentRequest = z.object({ status: z.enum(["confirmed", "declined", "cancelled", "completed"]) });
export type TUpdateAppointmentRequest = z.infer<typeof ZUpdateAppointmentRequest>;
