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
  })
  .refine((v) => !v.end_date || v.end_date >= v.start_date, { message: "must not be before the start date", path: ["end_date"] });
export type TCreatePrescriptionRequest = z.infer<typeof ZCreatePrescriptionRequest>;

export const ZUpdatePrescriptionRequest = z.object({ is_active: z.boolean() });
export type TUpdatePrescriptionRequest = z.infer<typeof ZUpdatePrescriptionRequest>;
