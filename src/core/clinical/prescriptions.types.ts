import { z } from "zod";
import { zUuid } from "../http/parse";

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-11-23").refine((d) => !Number.isNaN(Date.parse(d)), "is not a real date");

export const ZCreatePrescriptionRequest = z
  .object({
    visit_id: zUuid.nullable().optional(),
    medication: z.string().trim().min(1, "is required").max(200),
    dosage: z.string().trim().min(1, "is required").max(100),
    frequency: z.string().trim().min(1, "is required").max(100),
    start_date: isoDate,
    end_date: isoDate.nullable().optional(),
    /** Required when the drug matches a recorded allergy (409 allergy_conflict otherwise). */
    allergy_override_reason: z.string().trim().min(5, "must say why (at least 5 characters)").max(1000).nullable().optional(),
  })
  .refine((v) => !v.end_date || v.end_date >= v.start_date, { message: "must not be before the start date", path: ["end_date"] });
export type TCreatePrescriptionRequest = z.infer<typeof ZCreatePrescriptionRequest>;

export const PRESCRIPTION_STATUSES = ["active", "completed", "discontinued"] as const;

/**
 * `{status, reason}`; discontinuing needs a reason. Older clients send `{is_active}`:
 * true → active, false → completed (stopping without a reason is not a discontinuation).
 */
export const ZUpdatePrescriptionRequest = z
  .object({
    status: z.enum(PRESCRIPTION_STATUSES, "must be \"active\", \"completed\" or \"discontinued\"").optional(),
    reason: z.string().trim().max(1000).optional(),
    is_active: z.boolean().optional(),
  })
  .refine((v) => v.status !== undefined || v.is_active !== undefined, { message: "is required (\"active\", \"completed\" or \"discontinued\")", path: ["status"] })
  .refine((v) => v.status === undefined || v.is_active === undefined || v.is_active === (v.status === "active"), {
    message: "contradicts is_active; send status alone",
    path: ["is_active"],
  })
  .refine((v) => v.status !== "discontinued" || (v.reason ?? "").length >= 5, {
    message: "is required to discontinue a prescription (at least 5 characters)",
    path: ["reason"],
  })
  .transform((v) => ({
    status: v.status ?? (v.is_active ? "active" : "completed"),
    reason: v.reason && v.reason.length > 0 ? v.reason : null,
  }));
export type TUpdatePrescriptionRequest = z.output<typeof ZUpdatePrescriptionRequest>;

/** The discontinue dialog's form (the reason alone; the status is added when sent). */
export const ZDiscontinuePrescriptionForm = z.object({
  reason: z.string().trim().min(5, "is required: say why the prescription is discontinued (at least 5 characters)").max(1000),
});
