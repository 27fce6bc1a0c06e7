import { sql } from "kysely";
import { hit, ipKey } from "../auth/rate-limit";
import { withUser, type RequestContext } from "../db/with-user";
import { normaliseVerificationCode, type TVerificationResult } from "./verify-prescription.types";

interface Row {
  found: boolean;
  status: "active" | "completed" | "discontinued" | null;
  status_date: string | Date | null;
  issued_on: string | Date | null;
  short_id: string | null;
  prescriber_name: string | null;
  prescriber_credential: string | null;
  prescriber_license: string | null;
  patient_initials: string | null;
  patient_birth_year: number | null;
}

const isoDay = (d: string | Date | null): string | null => (d == null ? null : typeof d === "string" ? d.slice(0, 10) : d.toISOString().slice(0, 10));

/**
 * The public answer for a verification code (PUBLIC_URL/verify/<code>), for a pharmacist
 * without an account. Throttled per IP (every lookup counts: guessing is the threat), then
 * asked of app.verify_prescription() as the anonymous role: a SECURITY DEFINER function
 * that returns only what may leave (status, prescriber, the patient's initials and birth
 * year) and audits every lookup itself, found or not. Unknown and malformed codes take
 * the same path and get the same answer.
 */
export async function verifyPrescription(rawCode: string, context: RequestContext): Promise<TVerificationResult> {
  await hit("prescription_verify_ip", ipKey(context), context);
  const code = normaliseVerificationCode(rawCode) ?? "";
  const row = await withUser(null, async (tx) => (await sql<Row>`select * from app.verify_prescription(${code})`.execute(tx)).rows[0], context);
  if (!row?.found || !row.status) return { found: false };
  return {
    found: true,
    status: row.status,
    status_date: isoDay(row.status_date),
    issued_on: isoDay(row.issued_on) ?? "",
    short_id: row.short_id ?? "",
    prescriber: { name: row.prescriber_name, credential: row.prescriber_credential, license_number: row.prescriber_license },
    patient: { initials: row.patient_initials ?? "", birth_year: Number(row.patient_birth_year) },
  };
}
