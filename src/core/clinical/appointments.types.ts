import { z } from "zod";
import { zUuid } from "../http/parse";

const dateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time" });

/** A slot: ends after it starts, lasts at most 12 hours, not in the past. */
function slotRules<T extends z.ZodType<{ starts_at: string; ends_at: string }>>(schema: T) {
  return schema
    .refine((v) => Date.parse(v.ends_at) > Date.parse(v.starts_at), { message: "must be after the start", path: ["ends_at"] })
    .refine((v) => Date.parse(v.ends_at) - Date.parse(v.starts_at) <= 12 * 3600_000, { message: "an appointment lasts at most 12 hours", path: ["ends_at"] })
    .refine((v) => Date.parse(v.starts_at) > Date.now() - 5 * 60_000, { message: "must be in the future", path: ["starts_at"] });
}

/**
 * A patient requests (status requested); a care-team provider books (status confirmed).
 * `provider_id` defaults to the booking provider themself, or, for a patient, to the
 * attending of their care team.
 */
export const ZCreateAppointmentRequest = slotRules(
  z.object({
    provider_id: zUuid.optional(),
    starts_at: dateTime,
    ends_at: dateTime,
    reason: z.string().trim().max(1000).nullable().optional(),
    /** 'telehealth' makes it a video visit (docs/telehealth.md); default office. */
    visit_type: z.enum(["office", "telehealth", "follow_up", "urgent", "annual"]).optional(),
  }),
);
export type TCreateAppointmentRequest = z.infer<typeof ZCreateAppointmentRequest>;

export const APPOINTMENT_STATUSES = ["requested", "confirmed", "declined", "cancelled", "completed"] as const;

/** `{status[, reason]}` changes the status (cancelling by staff needs `reason`). */
export const ZUpdateAppointmentStatusRequest = z.object({
  status: z.enum(["confirmed", "declined", "cancelled", "completed"]),
  reason: z.string().trim().min(1, "is required").max(500).optional(),
});
export type TUpdateAppointmentStatusRequest = z.infer<typeof ZUpdateAppointmentStatusRequest>;
/** Older name, kept for callers of the status change. */
export type TUpdateAppointmentRequest = TUpdateAppointmentStatusRequest;

/** `{starts_at, ends_at}` moves an open appointment (care team only). */
export const ZRescheduleAppointmentRequest = slotRules(z.object({ starts_at: dateTime, ends_at: dateTime }));
export type TRescheduleAppointmentRequest = z.infer<typeof ZRescheduleAppointmentRequest>;

/**
 * PATCH /api/v1/appointments/{id}: either a status change `{status[, reason]}` or a
 * reschedule `{starts_at, ends_at}`, never both at once.
 */
export const ZPatchAppointmentRequest = z
  .object({
    status: ZUpdateAppointmentStatusRequest.shape.status.optional(),
    reason: ZUpdateAppointmentStatusRequest.shape.reason,
    starts_at: dateTime.optional(),
    ends_at: dateTime.optional(),
  })
  .superRefine((v, ctx) => {
    const moving = v.starts_at !== undefined || v.ends_at !== undefined;
    if (v.status !== undefined && moving) {
      ctx.addIssue({ code: "custom", message: "change the status or the time, not both at once", path: ["status"] });
    } else if (v.status === undefined && !moving) {
      ctx.addIssue({ code: "custom", message: "give a status, or a new start and end", path: ["status"] });
    } else if (moving) {
      if (v.starts_at === undefined) ctx.addIssue({ code: "custom", message: "is required", path: ["starts_at"] });
      else if (v.ends_at === undefined) ctx.addIssue({ code: "custom", message: "is required", path: ["ends_at"] });
      else {
        const r = ZRescheduleAppointmentRequest.safeParse({ starts_at: v.starts_at, ends_at: v.ends_at });
        if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
      if (v.reason !== undefined) ctx.addIssue({ code: "custom", message: "is given when cancelling", path: ["reason"] });
    }
  });
export type TPatchAppointmentRequest = z.infer<typeof ZPatchAppointmentRequest>;
/** Older name of the PATCH body. */
export const ZUpdateAppointmentRequest = ZPatchAppointmentRequest;

/** The reason dialog's field when cancelling (sent with `{status: "cancelled"}`). */
export const ZCancelAppointmentRequest = z.object({ reason: z.string().trim().min(1, "is required").max(500) });
