import { z } from "zod";

export const DOCUMENT_TYPES = ["lab_result", "imaging", "referral", "consent", "insurance", "other"] as const;

/** The multipart form's text fields (the file part is `file`). */
export const ZUploadDocumentFields = z.object({
  document_type: z.enum(DOCUMENT_TYPES),
  description: z
    .string()
    .max(1000)
    .optional()
    .transform((v) => (v && v.trim() ? v.trim() : null)),
});
export type TUploadDocumentFields = z.output<typeof ZUploadDocumentFields>;
