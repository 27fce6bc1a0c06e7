import { z } from "zod";

/**
 * A verification code as typed or scanned: Crockford base 32, read forgivingly (case,
 * dashes and spaces ignored; O read as 0, I and L as 1). Anything else is "malformed", which
 * the lookup answers exactly like an unknown code.
 */
export function normaliseVerificationCode(raw: string): string | null {
  let text = raw.slice(0, 200);
  try {
    // a path segment may arrive still percent-encoded ("7K2M%209QXD…"); a broken escape is just malformed
    text = decodeURIComponent(text);
  } catch {
    return null;
  }
  const code = text.slice(0, 64).toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  return /^[0-9A-HJKMNP-TV-Z]{12}$/.test(code) ? code : null;
}

export const ZVerificationCodeParam = z.string().max(64, "Verification codes are 12 characters long.");

export type TVerificationResult =
  | { found: false }
  | {
      found: true;
      status: "active" | "completed" | "discontinued";
      /** When a completed or discontinued prescription stopped (YYYY-MM-DD); null while active. */
      status_date: string | null;
      issued_on: string;
      /** The document's short id, as printed on the PDF. */
      short_id: string;
      prescriber: { name: string | null; credential: string | null; license_number: string | null };
      /** Nothing else about the patient: initials and birth year only. */
      patient: { initials: string; birth_year: number };
    };
