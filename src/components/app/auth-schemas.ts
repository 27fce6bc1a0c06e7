import { z } from "zod";
import { PROVIDER_CREDENTIALS } from "@/core/auth/provider-credentials";

/**
 * Client-side mirrors of the accounts API's request schemas (src/core/auth/*.ts), which
 * live in server-only modules (they import the database and argon2). The server checks
 * again with the real schemas and its common-password list; its 422 field messages are
 * shown next to the same fields.
 */
export const MIN_PASSWORD_LENGTH = 12;

const email = z.email("must be a valid email address").trim().toLowerCase().max(254);
const fullName = z.string().trim().min(1, "is required").max(200);
export const newPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters (a few words make a good password)`)
  .max(256, "must be at most 256 characters");

export const ZSignInForm = z.object({
  email: z.string().trim().toLowerCase().min(1, "is required").max(254),
  password: z.string().min(1, "is required").max(1024),
});

export const ZSetupForm = z.object({ full_name: fullName, email, password: newPassword });

export const ZProviderSignUpForm = z.object({
  full_name: fullName,
  email,
  password: newPassword,
  credential: z.enum(PROVIDER_CREDENTIALS, "is required: choose your professional credential"),
  license_number: z.string().trim().min(2, "is too short").max(64),
  specialty: z.string().trim().min(1, "is required").max(120),
});

export const ZPatientSignUpForm = z.object({
  full_name: fullName,
  email,
  password: newPassword,
  invite_code: z.string().trim().min(1, "is required").max(64),
  // Must match the invited record (the server checks); the date input gives YYYY-MM-DD.
  date_of_birth: z.string().trim().min(1, "is required: the date of birth your care team has on record").regex(/^\d{4}-\d{2}-\d{2}$/, "must be a full date, like 1980-04-02"),
});

export const ZChangePasswordForm = z
  .object({ current_password: z.string().min(1, "is required"), new_password: newPassword, confirm: z.string() })
  .refine((v) => v.new_password === v.confirm, { message: "does not match the new password", path: ["confirm"] });

export const ZForgotPasswordForm = z.object({ email });

export const ZResetPasswordForm = z
  .object({ password: newPassword, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "does not match the new password" });
