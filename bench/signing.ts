/**
 * What signing adds to a prescription PDF (issue #21; goal: p50 ≤ 30 ms added). Measured in
 * one run, alternating PDF by PDF so the machine's load drifts out of the comparison:
 *
 *   1. unsigned: the prescription laid out (Unicode fonts embedded as subsets, QR code) and saved;
 *   2. signed: the same, plus the signature placeholder, a save without object streams and
 *      the detached CMS signature by the clinic key (CmsSigner: node:crypto, key loaded once);
 *   3. for reference, fewer rounds: the same signed with @signpdf's P12Signer, which reparses
 *      the PKCS #12 and signs in JavaScript (node-forge) on every call.
 *
 * No database: the PDF's data is fixed, the key generated in memory as the clinic key is.
 *
 *   npm run bench:signing
 *   BENCH_PDFS=200
 */
import { generateKeyPairSync, createPrivateKey, X509Certificate } from "node:crypto";
import os from "node:os";
import forge from "node-forge";
import { P12Signer } from "@signpdf/signer-p12";
import { buildPrescriptionPdf, type PrescriptionPdfData } from "@/core/clinical/prescription-pdf-layout";
import { CmsSigner } from "@/core/signing/cms-signer";
import { selfSignedCertificate, type SigningIdentity } from "@/core/signing/clinic-signing-identity";

const PDFS = Number(process.env.BENCH_PDFS ?? 200);
const P12_PDFS = Math.max(10, Math.floor(PDFS / 5));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

const data: PrescriptionPdfData = {
  clinic: "Carebase Clinic",
  rx: {
    id: "5b0f6c1e-8f0a-4d57-9a51-0c7d2f3e4a10", medication: "Amoxicillin 500 mg capsules", dosage: "500 mg", frequency: "three times daily for 7 days",
    start_date: "2026-12-01", end_date: "2026-12-08", status: "active", status_reason: null, status_changed_at: null,
    allergy_override_reason: null, created_at: new Date("2026-12-01T09:30:00Z"), verification_code: "7K2M9QXD4HTB",
  },
  patient: { first_name: "Zoë", last_name: "Łukasiewicz-Ødegård 王", date_of_birth: "1980-04-02", mrn: "MRN-000123", allergies: ["Sulfonamides", "Latex"] },
  prescriber: { full_name: "Dr Ingrid Ødegård", license_number: "LIC-88231", specialty: "Family medicine", credential: "physician" },
  verifyUrl: "https://portal.example.org/verify/7K2M9QXD4HTB",
};

const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const certPem = selfSignedCertificate(publicKey.export({ type: "spki", format: "pem" }).toString(), privatePem, data.clinic);
const der = Buffer.from(new X509Certificate(certPem).raw);
const base = { commonName: `${data.clinic} (prescriptions)`, fingerprint: "", chainBytes: der.length, source: "generated" as const };
const cms: SigningIdentity = { ...base, signer: new CmsSigner(createPrivateKey(privatePem), [der]) };
const p12Der = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(privatePem), [forge.pki.certificateFromPem(certPem)], "bench", { algorithm: "3des" })).getBytes();
// a P12Signer reads its buffer once: a new one per PDF, as a caller of it would
const p12 = (): SigningIdentity => ({ ...base, signer: new P12Signer(Buffer.from(p12Der, "binary"), { passphrase: "bench" }) });

async function time(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function main() {
  const signingTime = new Date("2026-12-06T08:00:00Z");
  // warm-up: fonts parsed, code paths compiled
  for (let i = 0; i < 5; i++) {
    await buildPrescriptionPdf(data, { signingTime });
    await buildPrescriptionPdf(data, { identity: cms, signingTime });
  }
  const unsigned: number[] = [];
  const signed: number[] = [];
  const added: number[] = [];
  const sizes = [0, 0];
  for (let i = 0; i < PDFS; i++) {
    // alternate which goes first, so neither always runs on a warmer cache
    let u = 0;
    let s = 0;
    if (i % 2 === 0) {
      u = await time(async () => (sizes[0] = (await buildPrescriptionPdf(data, { signingTime })).length));
      s = await time(async () => (sizes[1] = (await buildPrescriptionPdf(data, { identity: cms, signingTime })).length));
    } else {
      s = await time(async () => (sizes[1] = (await buildPrescriptionPdf(data, { identity: cms, signingTime })).length));
      u = await time(async () => (sizes[0] = (await buildPrescriptionPdf(data, { signingTime })).length));
    }
    unsigned.push(u);
    signed.push(s);
    added.push(s - u);
  }
  const viaP12: number[] = [];
  for (let i = 0; i < P12_PDFS; i++) viaP12.push(await time(() => buildPrescriptionPdf(data, { identity: p12(), signingTime })));

  const p50u = pct(unsigned, 0.5);
  const p50s = pct(signed, 0.5);
  console.log(`bench:signing — ${PDFS} PDFs each, alternating; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; Node ${process.version}`);
  console.log(`  unsigned PDF            p50 ${ms(p50u)}  p95 ${ms(pct(unsigned, 0.95))}  (${(sizes[0] / 1024).toFixed(0)} KB)`);
  console.log(`  signed PDF (CmsSigner)  p50 ${ms(p50s)}  p95 ${ms(pct(signed, 0.95))}  (${(sizes[1] / 1024).toFixed(0)} KB)`);
  console.log(`  added by signing        p50 ${ms(pct(added, 0.5))} (paired)  p50 difference ${ms(p50s - p50u)}  ratio ${(p50s / p50u).toFixed(2)}×  goal ≤ 30 ms`);
  console.log(`  signed with P12Signer   p50 ${ms(pct(viaP12, 0.5))} (${P12_PDFS} PDFs; reparses the PKCS #12 and signs in JavaScript each time)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
