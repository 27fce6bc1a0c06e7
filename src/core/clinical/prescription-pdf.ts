import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { clinicName, signingIdentity } from "../signing/clinic-signing-identity";
import { findVisiblePatient } from "./patients";
import { findVisiblePrescription } from "./prescriptions";
import { buildPrescriptionPdf } from "./prescription-pdf-layout";

export interface PrescriptionPdf {
  bytes: Uint8Array;
  filename: string;
}

/**
 * A printable, signed prescription, generated on the server for whoever may read it (RLS),
 * and audited as a read of the prescription. `publicUrl` is the portal's address the
 * verification link and QR code point at (PUBLIC_URL/verify/<code>).
 */
export async function renderPrescriptionPdf(
  session: Session,
  prescriptionId: string,
  context: RequestContext,
  publicUrl: string,
): Promise<PrescriptionPdf> {
  // The key first: a failure to load it leaves no read record of a PDF that was never made.
  const identity = await signingIdentity();
  const data = await withUser(session, async (tx) => {
    const rx = await findVisiblePrescription(tx, prescriptionId);
    const patient = await findVisiblePatient(tx, rx.patient_id);
    const prescriber = await tx
      .selectFrom("providers as pr")
      .innerJoin("auth.users as u", "u.id", "pr.user_id")
      .select(["u.full_name", "pr.license_number", "pr.specialty", "pr.credential"])
      .where("pr.user_id", "=", rx.prescriber_id)
      .executeTakeFirst();
    const { verification_code } = await tx
      .selectFrom("prescriptions")
      .select("verification_code")
      .where("id", "=", rx.id)
      .executeTakeFirstOrThrow();
    await recordRead(tx, { kind: "prescription_pdf", patientIds: [rx.patient_id], recordIds: [rx.id] });
    return { rx: { ...rx, verification_code }, patient, prescriber };
  }, context);

  const { rx, patient, prescriber } = data;
  const bytes = await buildPrescriptionPdf(
    {
      clinic: clinicName(),
      rx,
      patient,
      prescriber: {
        full_name: prescriber?.full_name ?? rx.prescriber_name ?? "—",
        license_number: prescriber?.license_number ?? null,
        specialty: prescriber?.specialty ?? null,
        credential: prescriber?.credential ?? null,
      },
      verifyUrl: `${publicUrl.replace(/\/+$/, "")}/verify/${rx.verification_code}`,
    },
    { identity },
  );
  return { bytes, filename: `prescription-${rx.id.slice(0, 8)}.pdf` };
}
