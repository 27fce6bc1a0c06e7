import { z } from "zod";

export const SHARE_PARTS = ["visits", "prescriptions", "documents", "vitals"] as const;
export type TSharePart = (typeof SHARE_PARTS)[number];

/** POST /api/v1/me/shares (patient) */
export const ZCreateShareRequest = z.strictObject({
  parts: z.array(z.enum(SHARE_PARTS)).min(1, "choose at least one part of your record").max(4).refine((a) => new Set(a).size === a.length, "lists a part twice"),
  expires_in_days: z.number().int("must be a whole number of days").min(1, "must be at least 1 day").max(30, "must be at most 30 days"),
  recipient_label: z.string().trim().min(1, "is required").max(120, "must be at most 120 characters"),
});
export type TCreateShareRequest = z.infer<typeof ZCreateShareRequest>;

/** POST /api/v1/shares/open (anyone holding the link): the token from the link's fragment and the 6-digit code. */
export const ZOpenShareRequest = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "is not a sharing link's token"),
  code: z.string().regex(/^\d{6}$/, "must be the 6-digit code"),
});
export type TOpenShareRequest = z.infer<typeof ZOpenShareRequest>;

export interface ShareSummary {
  id: string;
  recipient_label: string;
  parts: TSharePart[];
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  locked_at: Date | null;
  failed_attempts: number;
  view_count: number;
  last_viewed_at: Date | null;
  /** active, expired, revoked or locked */
  state: "active" | "expired" | "revoked" | "locked";
  /** When the share was opened (newest first, up to 20), from the audit trail. */
  views: { at: Date }[];
}

export interface CreatedShare {
  id: string;
  /** The link to give the recipient: the token rides in the fragment, which browsers never send. Shown once. */
  url: string;
  /** The 6-digit code to give separately (another channel). Shown once. */
  code: string;
  recipient_label: string;
  parts: TSharePart[];
  expires_at: Date;
}

export interface SharedRecord {
  share: { recipient_label: string; expires_at: string; parts: TSharePart[] };
  patient: { first_name: string; last_name: string; date_of_birth: string };
  visits?: { id: string; visit_date: string; chief_complaint: string; diagnosis: string | null; notes: string | null }[];
  prescriptions?: { id: string; medication: string; dosage: string; frequency: string; start_date: string; end_date: string | null; status: string }[];
  documents?: { id: string; document_type: string; description: string | null; uploaded_at: string }[];
  vitals?: { metric: string; value: number; unit: string; recorded_at: string }[];
}
