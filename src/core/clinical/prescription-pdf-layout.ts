import { PDFDocument, rgb, type PDFPage } from "pdf-lib";
import QRCode from "qrcode";
import { pdflibAddPlaceholder } from "@signpdf/placeholder-pdf-lib";
import { SUBFILTER_ADOBE_PKCS7_DETACHED } from "@signpdf/utils";
import { SignPdf } from "@signpdf/signpdf";
import { CREDENTIAL_LABELS, type TProviderCredential } from "../auth/provider-credentials";
import type { PrescriptionStatus } from "../db/schema";
import type { SigningIdentity } from "../signing/clinic-signing-identity";
import { PdfText } from "./prescription-pdf-fonts";

/** What the printed prescription shows (read under RLS by renderPrescriptionPdf). */
export interface PrescriptionPdfData {
  clinic: string;
  rx: {
    id: string;
    medication: string;
    dosage: string;
    frequency: string;
    start_date: string;
    end_date: string | null;
    status: PrescriptionStatus;
    status_reason: string | null;
    status_changed_at: Date | null;
    allergy_override_reason: string | null;
    created_at: Date;
    verification_code: string;
  };
  patient: { first_name: string; last_name: string; date_of_birth: string; mrn: string; allergies: string[] };
  prescriber: { full_name: string; license_number: string | null; specialty: string | null; credential: string | null };
  /** The page a pharmacist opens: PUBLIC_URL/verify/<code>. */
  verifyUrl: string;
}

/** XXXX-XXXX-XXXX: the stored 12-character code, grouped for reading aloud. */
export function formatVerificationCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, "$1-");
}

export function credentialLabel(credential: string | null | undefined): string {
  return (credential && CREDENTIAL_LABELS[credential as TProviderCredential]) || "—";
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The date the status took effect: the end date set by the change, else the change's own date. */
export function statusDate(rx: Pick<PrescriptionPdfData["rx"], "status" | "end_date" | "status_changed_at">): string | null {
  if (rx.status === "active") return null;
  return rx.end_date ?? (rx.status_changed_at ? day(rx.status_changed_at) : null);
}

const signer = new SignPdf();

/**
 * Lays the prescription out on one A4 page and, given a signing identity, signs it (a
 * detached CMS signature over the whole file but the signature itself; pdfsig reports
 * "Total document signed"). The visible signature block names the prescriber, credential,
 * licence number, the signing time and the document's short id.
 */
export async function buildPrescriptionPdf(
  data: PrescriptionPdfData,
  options: { identity?: SigningIdentity; signingTime?: Date } = {},
): Promise<Uint8Array> {
  const { rx, patient, prescriber, clinic } = data;
  const signingTime = options.signingTime ?? new Date();
  const doc = await PDFDocument.create();
  doc.setTitle("Prescription");
  doc.setProducer("Carebase");
  doc.setCreator("Carebase");
  doc.setCreationDate(signingTime);
  doc.setModificationDate(signingTime);
  const page = doc.addPage([595.28, 841.89]); // A4
  const text = await PdfText.embed(doc);
  const ink = rgb(0.1, 0.1, 0.12);
  const muted = rgb(0.4, 0.4, 0.45);
  let y = 790;
  const line = async (label: string, value: string, size = 11) => {
    await text.draw(page, label, { x: 56, y, size: 9, color: muted });
    await text.draw(page, value, { x: 200, y, size, bold: true, color: ink });
    y -= 20;
  };
  /** A labelled value over as many lines as it needs (at most 4; longer text is cut with "…"). */
  const wrapped = async (label: string, value: string) => {
    const words = value.split(/\s+/);
    const rows: string[] = [];
    let row = "";
    for (const w of words) {
      const next = row ? `${row} ${w}` : w;
      if ((await text.width(next, 11, true)) > 339 && row) {
        rows.push(row);
        row = w;
      } else row = next;
    }
    if (row) rows.push(row);
    if (rows.length > 4) rows.splice(3, rows.length - 3, `${rows[3].slice(0, 50)} …`);
    await text.draw(page, label, { x: 56, y, size: 9, color: muted });
    for (const r of rows) {
      await text.draw(page, r, { x: 200, y, size: 11, bold: true, color: ink });
      y -= 15;
    }
    y -= 5;
  };
  const heading = async (label: string) => {
    await text.draw(page, label, { x: 56, y, size: 13, bold: true, color: ink });
    y -= 20;
  };

  await text.draw(page, clinic, { x: 56, y, size: 18, bold: true, color: ink });
  y -= 20;
  await text.draw(page, "Prescription", { x: 56, y, size: 12, color: muted });
  y -= 16;
  page.drawLine({ start: { x: 56, y }, end: { x: 539, y }, thickness: 1, color: muted });
  y -= 26;

  // A prescription that is no longer active says so before anything else.
  const effective = statusDate(rx);
  if (rx.status !== "active") {
    const banner = rx.status === "discontinued" ? `DISCONTINUED on ${effective ?? "—"}: do not dispense` : `COMPLETED on ${effective ?? "—"}: do not dispense`;
    page.drawRectangle({ x: 56, y: y - 8, width: 483, height: 26, color: rgb(0.99, 0.9, 0.9), borderColor: rgb(0.7, 0.1, 0.1), borderWidth: 1.2 });
    await text.draw(page, banner, { x: 66, y, size: 12, bold: true, color: rgb(0.6, 0.05, 0.05) });
    y -= 36;
  }

  await heading("Prescriber");
  await line("Name", prescriber.full_name);
  await line("Credential", credentialLabel(prescriber.credential));
  await line("Licence number", prescriber.license_number ?? "—");
  if (prescriber.specialty) await line("Specialty", prescriber.specialty);
  y -= 8;

  await heading("Patient");
  await line("Name", `${patient.first_name} ${patient.last_name}`);
  await line("Date of birth", patient.date_of_birth);
  await line("MRN", patient.mrn);
  // Allergies always print, so whoever dispenses from paper sees them too.
  await wrapped("Allergies", patient.allergies.length ? patient.allergies.join(", ") : "None recorded");
  y -= 8;

  await heading("Medication");
  await line("Medication", rx.medication, 13);
  await line("Dosage", rx.dosage);
  await line("Frequency", rx.frequency);
  await line("Start date", rx.start_date);
  await line("End date", rx.end_date ?? "Until further notice");
  await line("Status", rx.status === "discontinued" ? `Discontinued on ${effective ?? "—"}` : rx.status === "completed" ? `Completed on ${effective ?? "—"}` : "Active");
  if (rx.status === "discontinued" && rx.status_reason) await wrapped("Reason", rx.status_reason);
  if (rx.allergy_override_reason) await wrapped("Allergy override", rx.allergy_override_reason);
  await line("Issued", day(rx.created_at));

  await drawSignatureBlock(page, text, data, signingTime, !!options.identity);

  if (!options.identity) return doc.save();
  const identity = options.identity;
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: `Prescription ${rx.id.slice(0, 8)} issued by ${ascii(prescriber.full_name)}`,
    contactInfo: data.verifyUrl,
    name: ascii(identity.commonName),
    location: ascii(clinic),
    signingTime,
    // the CMS: certificates, a 256-byte signature and its attributes, with room to spare
    signatureLength: (identity.chainBytes + 2048) * 2, // hex digits
    subFilter: SUBFILTER_ADOBE_PKCS7_DETACHED,
    appName: "Carebase",
  });
  const unsigned = Buffer.from(await doc.save({ useObjectStreams: false }));
  return signer.sign(unsigned, identity.signer, signingTime);
}

/** PDF text strings in the signature dictionary are PDFDocEncoding: keep them to ASCII. */
function ascii(s: string): string {
  return s.normalize("NFKD").replace(/[^\x20-\x7E]/g, "");
}

async function drawSignatureBlock(page: PDFPage, text: PdfText, data: PrescriptionPdfData, signingTime: Date, signed: boolean) {
  const ink = rgb(0.1, 0.1, 0.12);
  const muted = rgb(0.4, 0.4, 0.45);
  const top = 172;
  page.drawRectangle({ x: 56, y: 40, width: 483, height: top - 40, borderColor: muted, borderWidth: 0.8 });
  let y = top - 18;
  const row = async (label: string, value: string) => {
    await text.draw(page, label, { x: 66, y, size: 8, color: muted });
    await text.draw(page, value, { x: 150, y, size: 9, bold: true, color: ink });
    y -= 14;
  };
  await text.draw(page, signed ? `Digitally signed for ${data.clinic}` : "Not signed", { x: 66, y, size: 10, bold: true, color: ink });
  y -= 17;
  await row("Prescriber", data.prescriber.full_name);
  await row("Credential", credentialLabel(data.prescriber.credential));
  await row("Licence number", data.prescriber.license_number ?? "—");
  await row("Signed", `${signingTime.toISOString().slice(0, 16).replace("T", " ")} UTC`);
  await row("Document", data.rx.id.slice(0, 8));
  await row("Verification code", formatVerificationCode(data.rx.verification_code));
  await text.draw(page, `Verify: ${data.verifyUrl}`, { x: 66, y: 48, size: 7.5, color: muted });

  // The QR code of the verification page, as one vector path.
  const qr = QRCode.create(data.verifyUrl, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  const side = 100;
  const cell = side / n;
  // one rectangle per horizontal run of dark modules (a third of the operators of one per module)
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      if (!qr.modules.get(r, c)) {
        c++;
        continue;
      }
      let end = c + 1;
      while (end < n && qr.modules.get(r, end)) end++;
      d += `M${c} ${r}h${end - c}v1h${c - end}z`;
      c = end;
    }
  }
  page.drawSvgPath(d, { x: 539 - 8 - side, y: top - 8, scale: cell, color: ink });
}
