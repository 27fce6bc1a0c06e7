import { z } from "zod";

export const ZForgotPasswordRequest = z.object({
  email: z.email("must be a valid email address").trim().toLowerCase().max(254),
});
export type TForgotPasswordRequest = z.infer<typeof ZForgotPasswordRequest>;

export const ZResetPasswordRequest = z.object({
  token: z.string().trim().min(1, "is required").max(200),
  password: z.string().max(1024),
});
export type TResetPasswordRequest = z.infer<typeof ZResetPasswordRequest>;

/** How long a mailed reset link works. */
export const RESET_TOKEN_MINUTES = 30;
