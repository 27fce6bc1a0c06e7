import { PDFDocument, rgb, type PDFPage } from "pdf-lib";
import { PdfText } from "../clinical/prescription-pdf-fonts";
import type { FhirResource } from "./types";

/* eslint-disable @typescript-eslint/no-explicit-any */
type R = FhirResource & Record<string, any>;

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 50;
const GREY = rgb(0.35, 0.35, 0.35);

/** A page cursor: lines flow down and onto new pages. */
class Flow {
  page!: PDFPage;
  y = 0;
  constructor(private readonly doc: PDFDocument, readonly text: PdfText) {
    this.newPage();
  }
  newPage() {
    this.page = this.doc.addPage([A4.width, A4.height]);
    this.y = A4.height - MARGIN;
  }
  private need(h: number) {
    if (this.y - h < MARGIN) this.newPage();
  }
  /** Draws text wrapped to the page width; returns after the last line. */
  async para(s: string, size = 10, opts: { bold?: boolean; indent?: number; color?: ReturnType<typeof rgb>; gap?: number } = {}) {
    const indent = opts.indent ?? 0;
    const max = A4.width - 2 * MARGIN - indent;
    const words = s.split(/\s+/).filter(Boolean);
    let line = "";
    const lines: string[] = [];
    for (const w of words) {
      const candidate = line ? `${line} ${w}` : w;
      if (line && (await this.text.width(candidate, size, opts.bold)) > max) {
        lines.push(line);
        line = w;
      } else line = candidate;
    }
    if (line) lines.push(line);
    for (const l of lines) {
      this.need(size + 4);
      this.y -= size + 3;
      await this.text.draw(this.page, l, { x: MARGIN + indent, y: this.y, size, bold: opts.bold, color: opts.color });
    }
    this.y -= opts.gap ?? 2;
  }
  async heading(s: string) {
    this.need(40);
    this.y -= 10;
    await this.para(s, 13, { bold: true, gap: 4 });
  }
}

const day = (s?: string) => (s ? s.slice(0, 10) : "");
const ref = (r?: { reference?: string }) => r?.reference ?? "";
const qty = (q?: { value?: number; unit?: string }) => (q ? `${q.value} ${q.unit ?? ""}`.trim() : "");

function observationValue(o: R): string {
  if (o.component) return o.component.map((c: R) => c.valueQuantity?.value).join("/") + " mmHg";
  return qty(o.valueQuantity) || o.valueString || "";
}

/**
 * A readable summary of a patient's record (their $everything, as the FHIR download), for
 * people rather than systems: demographics, allergies, medications, visits with their
 * diagnosis and vital signs, wearable data summarised per measurement, appointments,
 * documents and the care team. Unicode text (names in any script) through the PDF fonts
 * the prescriptions use.
 */
export async function buildRecordSummaryPdf(resources: FhirResource[], generatedAt: Date): Promise<Uint8Array> {
  const all = resources as R[];
  const of = (type: string) => all.filter((r) => r.resourceType === type);
  const patient = of("Patient")[0];
  const doc = await PDFDocument.create();
  doc.setTitle("Health record summary");
  doc.setProducer("Carebase");
  doc.setCreationDate(generatedAt);
  const text = await PdfText.embed(doc);
  const f = new Flow(doc, text);

  const name = patient?.name?.[0] ? `${(patient.name[0].given ?? []).join(" ")} ${patient.name[0].family ?? ""}`.trim() : "Patient";
  await f.para("Health record summary", 20, { bold: true, gap: 6 });
  await f.para(name, 14, { bold: true });
  await f.para(
    [patient?.birthDate ? `Born ${patient.birthDate}` : "", patient?.gender ? `Gender ${patient.gender}` : "", patient?.identifier?.[0]?.value ? `Record number ${patient.identifier[0].value}` : ""]
      .filter(Boolean)
      .join(" · "),
    10,
  );
  if (patient?.address?.[0]?.text) await f.para(`Address: ${patient.address[0].text}`, 10);
  await f.para(`Generated ${generatedAt.toISOString().replace("T", " ").slice(0, 16)} UTC by Carebase. The full record is in the FHIR file (my-record.json).`, 9, { color: GREY, gap: 6 });

  await f.heading("Allergies");
  const allergies = of("AllergyIntolerance");
  if (!allergies.length) await f.para("None recorded.");
  for (const a of allergies) await f.para(`• ${a.code?.text ?? "Unknown substance"}`, 10, { indent: 8 });

  await f.heading("Medications");
  const meds = of("MedicationRequest").sort((a, b) => (a.status === "active" ? -1 : 0) - (b.status === "active" ? -1 : 0));
  if (!meds.length) await f.para("None recorded.");
  for (const m of meds) {
    const period = m.dispenseRequest?.validityPeriod;
    await f.para(`• ${m.medicationCodeableConcept?.text ?? ""}: ${m.dosageInstruction?.[0]?.text ?? ""} (${m.status}${period?.start ? `, from ${period.start}` : ""}${period?.end ? ` to ${period.end}` : ""})`, 10, { indent: 8 });
  }

  await f.heading("Visits");
  const encounters = of("Encounter").sort((a, b) => String(b.period?.start).localeCompare(String(a.period?.start)));
  const conditions = of("Condition");
  const observations = of("Observation");
  if (!encounters.length) await f.para("None recorded.");
  for (const e of encounters) {
    const here = `Encounter/${e.id}`;
    const dx = conditions.filter((c) => ref(c.encounter) === here).map((c) => c.code?.text).filter(Boolean);
    const vitals = observations.filter((o) => ref(o.encounter) === here).map((o) => `${o.code?.text}: ${observationValue(o)}`);
    await f.para(`${day(e.period?.start)}: ${e.reasonCode?.[0]?.text ?? "Visit"}${e.participant?.[0]?.individual?.display ? `, with ${e.participant[0].individual.display}` : ""}`, 10, { bold: true });
    if (dx.length) await f.para(`Diagnosis: ${dx.join("; ")}`, 10, { indent: 8 });
    if (vitals.length) await f.para(`Vital signs: ${vitals.join(", ")}`, 9, { indent: 8, color: GREY });
  }

  const samples = observations.filter((o) => !o.encounter);
  await f.heading("Wearable and home measurements");
  if (!samples.length) await f.para("None recorded.");
  const byCode = new Map<string, R[]>();
  for (const o of samples) {
    const k = o.code?.text ?? "Measurement";
    byCode.set(k, [...(byCode.get(k) ?? []), o]);
  }
  for (const [k, list] of byCode) {
    const sorted = list.sort((a, b) => String(a.effectiveDateTime).localeCompare(String(b.effectiveDateTime)));
    const last = sorted[sorted.length - 1];
    await f.para(`• ${k}: ${list.length} measurement${list.length === 1 ? "" : "s"} from ${day(sorted[0].effectiveDateTime)} to ${day(last.effectiveDateTime)}; latest ${observationValue(last)}`, 10, { indent: 8 });
  }

  await f.heading("Appointments");
  const appts = of("Appointment").sort((a, b) => String(b.start).localeCompare(String(a.start)));
  if (!appts.length) await f.para("None recorded.");
  for (const a of appts) await f.para(`• ${String(a.start).slice(0, 16).replace("T", " ")} UTC: ${a.description ?? "Appointment"} (${a.status})`, 10, { indent: 8 });

  await f.heading("Documents");
  const docs = of("DocumentReference");
  if (!docs.length) await f.para("None recorded.");
  for (const d of docs) await f.para(`• ${day(d.date)}: ${d.type?.text ?? "document"}${d.content?.[0]?.attachment?.title ? `, ${d.content[0].attachment.title}` : ""}${d.description ? ` (${d.description})` : ""}`, 10, { indent: 8 });

  await f.heading("Care team");
  const team = of("CareTeam")[0];
  if (!team?.participant?.length) await f.para("None recorded.");
  for (const p of team?.participant ?? []) await f.para(`• ${p.member?.display ?? "A provider"}: ${p.role?.[0]?.coding?.[0]?.display ?? ""}`, 10, { indent: 8 });

  return doc.save();
}
