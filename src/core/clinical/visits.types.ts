import { z } from "zod";
import type { VisitType } from "../db/schema";

/** The kinds of visit (0620); existing visits are office visits. */
export const VISIT_TYPES = ["office", "telehealth", "follow_up", "urgent", "annual"] as const satisfies readonly VisitType[];
export const VISIT_TYPE_LABELS: Record<VisitType, string> = {
  office: "Office visit",
  telehealth: "Telehealth",
  follow_up: "Follow-up",
  urgent: "Urgent",
  annual: "Annual exam",
};

const num = (min: number, max: number, unit: string) =>
  z.number().min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`);

/** Vital signs taken at a visit. */
export const ZVisitVitals = z.object({
  blood_pressure: z.string().trim().regex(/^\d{2,3}\/\d{2,3}$/, "must look like 120/80").optional(),
  heart_rate: num(20, 250, "bpm").optional(),
  temperature_c: num(30, 45, "°C").optional(),
  respiratory_rate: num(4, 80, "breaths/min").optional(),
  spo2: num(50, 100, "%").optional(),
  weight_kg: num(0.3, 500, "kg").optional(),
  height_cm: num(20, 272, "cm").optional(),
});

export const ZCreateVisitRequest = z.object({
  visit_date: z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time" })
    .refine((d) => Date.parse(d) <= Date.now() + 24 * 3600_000, "cannot be more than a day in the future"),
  visit_type: z.enum(VISIT_TYPES, { message: "Choose a visit type: office visit, telehealth, follow-up, urgent or annual exam." }).default("office"),
  chief_complaint: z.string().trim().min(1, "is required").max(500),
  diagnosis: z.string().trim().max(500).nullable().optional(),
  notes: z.string().trim().max(20_000).nullable().optional(),
  vitals: ZVisitVitals.nullable().optional(),
});
export type TCreateVisitRequest = z.infer<typeof ZCreateVisitRequest>;
