import { z } from "zod";

export const ZIssueSignedUrlRequest = z.object({
  expires_in: z.number().int().positive().optional(),
});
export type TIssueSignedUrlRequest = z.output<typeof ZIssueSignedUrlRequest>;
