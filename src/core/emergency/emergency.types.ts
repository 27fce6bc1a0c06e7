import { z } from "zod";

const ZDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date (YYYY-MM-DD)").refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "must be a real date");

/** POST /api/v1/emergency-access */
export const ZOpenEmergencyAccessRequest = z.strictObject({
  mrn: z.string().trim().min(1, "is required").max(64, "is too long"),
  date_of_birth: ZDate,
  reason: z.string().trim().min(10, "must say why, in at least 10 characters").max(1000, "must be at most 1000 characters"),
});
export type TOpenEmergencyAccessRequest = z.infer<typeof ZOpenEmergencyAccessRequest>;

/** POST /api/v1/admin/emergency-access/{id}/review */
export const ZReviewEmergencyAccessRequest = z.strictObject({
  outcome: z.enum(["appropriate", "inappropriate"]),
  note: z.string().trim().max(2000, "must be at most 2000 characters").default(""),
});
export type TReviewEmergencyAccessRequest = z.infer<typeof ZReviewEmergencyAccessRequest>;

/** GET /api/v1/admin/emergency-access?unreviewed=true|false */
export const ZListEmergencyGrantsQuery = z.strictObject({ unreviewed: z.enum(["true", "false"]).optional() });

export interface EmergencyGrant {
  id: string;
  patient_id: string;
  expires_at: Date;
}

export interface ActiveEmergencyGrant extends EmergencyGrant {
  reason: string;
  created_at: Date;
}

export interface EmergencyGrantReview {
  outcome: "appropriate" | "inappropriate" | null;
  note: string | null;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  reviewer_name: string | null;
}

export interface AdminEmergencyGrant {
  id: string;
  patient_id: string;
  patient_name: string;
  mrn: string;
  provider_id: string;
  provider_name: string;
  credential: string | null;
  reason: string;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  /** "active", "ended" (early, by the holder) or "expired" */
  state: "active" | "ended" | "expired";
  /** Read records made under this grant (details.emergency_access = id). */
  reads: number;
  review: EmergencyGrantReview;
}

export interface PatientEmergencyAccess {
  id: string;
  provider_name: string;
  credential: string | null;
  reason: string;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}
