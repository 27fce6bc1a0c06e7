import { z } from "zod";

/** An admin's reset of another account's two-step verification (a lost phone). */
export const ZResetMfaRequest = z.object({
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(200),
});
export type TResetMfaRequest = z.output<typeof ZResetMfaRequest>;
