import { PDFDocument, StandardFonts, rgb } from "pdf-lib";
import type { Session } from "../auth/session-types";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { findVisiblePatient } from "./patients";
import { findVisiblePrescription } from "./prescriptions";

export interface PrescriptionPdf {
  bytes: Uint8Array;
  filename: string;
}

/**
 * A printable prescription, generated on the server for whoever may read it (RLS), and
 * audited as a read of the prescription.
 */
export async function renderPrescriptionPdf(session: Session, prescriptionId: string, context: RequestContext): Promise<PrescriptionPdf> {
  const data = await withUser(session, async (tx) => {
    const rx = await findVisiblePrescription(tx, prescriptionId);
    const patient = await findVisiblePatient(tx, rx.patient_id);
    const prescriber = await tx
      .selectFrom("providers as pr")
      .innerJoin("auth.users as u", "u.id", "pr.user_id")
      .select(["u.full_name", "pr.license_number", "pr.specialty"])
      .where("pr.user_id", "=", rx.prescriber_id)
      .executeTakeFirst();
    await recordRead(tx, { kind: "prescription_pdf", patientIds: [rx.patient_id], recordIds: [rx.id] });
    return { rx, patient, prescriber };
  }, context);

  const { rx, patient, prescriber } = data;
  const doc = await PDFDocument.create();
  doc.setTitle("Prescription");
  doc.setProducer("Carebase");
  doc.setCreator("Carebase");
  const page = doc.addPage([595.28, 841.89]); // A4
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const ink = rgb(0.1, 0.1, 0.12);
  const muted = rgb(0.4, 0.4, 0.45);
  let y = 790;
  const line = (label: string, value: string, size = 11) => {
    page.drawText(label, { x: 56, y, size: 9, font, color: muted });
    page.drawText(safe(value), { x: 200, y, size, font: bold, color: ink });
    y -= 22;
  };
  /** A labelled value over as many lines as it needs (at most 4; longer text is cut with "…"). */
  const wrapped = (label: string, value: string) => {
    const words = safe(value).split(/\s+/);
    const rows: string[] = [];
    let row = "";
    for (const w of words) {
      const next = row ? `${row} ${w}` : w;
      if (bold.widthOfTextAtSize(next, 11) > 339 && row) {
        rows.push(row);
        row = w;
      } else row = next;
    }
    if (row) rows.push(row);
    if (rows.length > 4) rows.splice(3, rows.length - 3, `${rows[3].slice(0, 50)} …`);
    page.drawText(label, { x: 56, y, size: 9, font, color: muted });
    for (const r of rows) {
      page.drawText(r, { x: 200, y, size: 11, font: bold, color: ink });
      y -= 15;
    }
    y -= 7;
  };
  const clinic = process.env.CLINIC_NAME?.trim() || "Carebase Clinic";
  page.drawText(safe(clinic), { x: 56, y, size: 18, font: bold, color: ink });
  y -= 20;
  page.drawText("Prescription", { x: 56, y, size: 12, font, color: muted });
  y -= 18;
  page.drawLine({ start: { x: 56, y }, end: { x: 539, y }, thickness: 1, color: muted });
  y -= 30;

  page.drawText("Prescriber", { x: 56, y, size: 13, font: bold, color: ink });
  y -= 22;
  line("Name", prescriber?.full_name ?? rx.prescriber_name ?? "—");
  line("License number", prescriber?.license_number ?? "—");
  if (prescriber?.specialty) line("Specialty", prescriber.specialty);
  y -= 10;

  page.drawText("Patient", { x: 56, y, size: 13, font: bold, color: ink });
  y -= 22;
  line("Name", `${patient.first_name} ${patient.last_name}`);
  line("Date of birth", patient.date_of_birth);
  line("MRN", patient.mrn);
  // Allergies always print, so whoever dispenses from paper sees them too.
  const allergies = patient.allergies.length ? patient.allergies.join(", ") : "None recorded";
  wrapped("Allergies", allergies);
  y -= 10;

  page.drawText("Medication", { x: 56, y, size: 13, font: bold, color: ink });
  y -= 22;
  line("Medication", rx.medication, 13);
  line("Dosage", rx.dosage);
  line("Frequency", rx.frequency);
  line("Start date", rx.start_date);
  line("End date", rx.end_date ?? "Until further notice");
  line("Status", rx.status === "discontinued" ? "Discontinued" : rx.status === "completed" ? "Completed" : "Active");
  if (rx.status === "discontinued" && rx.status_reason) wrapped("Reason", rx.status_reason);
  if (rx.allergy_override_reason) wrapped("Allergy override", rx.allergy_override_reason);
  y -= 10;
  line("Issued", new Date(rx.created_at).toISOString().slice(0, 10));

  page.drawLine({ start: { x: 330, y: 120 }, end: { x: 539, y: 120 }, thickness: 0.8, color: muted });
  page.drawText("Prescriber's signature", { x: 330, y: 106, size: 9, font, color: muted });
  page.drawText(`Prescription id ${rx.id}`, { x: 56, y: 56, size: 8, font, color: muted });

  return { bytes: await doc.save(), filename: `prescription-${rx.id.slice(0, 8)}.pdf` };
}

/** The standard fonts encode WinAnsi only: replace what they cannot draw. */
function safe(text: string): string {
  return text.replace(/[^\x20-\x7E\u00A0-\u00FF]/g, "?");
}
