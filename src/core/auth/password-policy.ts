import { dictionary } from "@zxcvbn-ts/language-common";
import { ValidationError } from "../errors";

/**
 * NIST SP 800-63B: at least 12 characters (we allow up to 256), no composition rules,
 * refuse the 10,000 most common passwords and passwords built on the account's email.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  // The list is ordered by frequency; the first 10,000 are "the most common".
  return (common ??= new Set((dictionary["passwords-common"] as string[]).slice(0, 10_000).map((p) => p.toLowerCase())));
}

/** Returns what to fix, or null when the password is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters (a few words make a good password).`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return "This password is one of the most common ones. Choose one that is harder to guess.";
  if (/^(.)\1+$/u.test(password)) return "Do not repeat a single character. Choose a password that is harder to guess.";
  const local = email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 3 && lower.includes(local)) return "Do not use your email address in your password.";
  return null;
}

/** Throws a 422 naming what to fix. */
export function assertAcceptablePassword(password: string, email?: string, field = "password"): void {
  const problem = passwordProblem(password, email);
  if (problem) throw new ValidationError(problem, { [field]: problem }, "weak_password");
}
