import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { enrollMfa } from "@/core/auth/mfa";

/** Secret, otpauth URL, QR code (SVG rendered here) and recovery codes: shown once. */
export const POST = authed(async ({ session, context }) => json(await enrollMfa(session, context)));
