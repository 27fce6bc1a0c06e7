/**
 * Signed prescription PDFs and their public verification (issue #21; docs/signing.md), and
 * Unicode text in the PDF (issue #15, item 6). Checked with the tools a pharmacy or an
 * auditor would use: poppler's pdfsig (signature) and pdftotext (what the page says).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, serviceQuery, type TestUser } from "../support/seed";
import { call } from "../support/http";
import * as prescriptionsRoute from "@/app/api/v1/patients/[id]/prescriptions/route";
import * as prescriptionRoute from "@/app/api/v1/prescriptions/[id]/route";
import * as pdfRoute from "@/app/api/v1/prescriptions/[id]/pdf/route";
import * as verifyRoute from "@/app/api/v1/verify/[code]/route";
import { CLIENT_IP_HEADER } from "@/core/http/route";
import { buildPrescriptionPdf, formatVerificationCode } from "@/core/clinical/prescription-pdf-layout";
import {
  forgetSigningIdentity,
  identityFromP12,
  loadOrGenerateSigningKey,
  selfSignedCertificate,
} from "@/core/signing/clinic-signing-identity";
import { normaliseVerificationCode } from "@/core/signing/verify-prescription.types";

const UNICODE_NAME = { first: "Zoë", last: "Łukasiewicz-Ødegård 王" };

const pdfsig = (bytes: Buffer): string => {
  const dir = mkdtempSync(path.join(tmpdir(), "pdfsig-"));
  try {
    const file = path.join(dir, "doc.pdf");
    writeFileSync(file, bytes);
    const r = spawnSync("pdfsig", [file], { encoding: "utf8" });
    return `${r.stdout}${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const pdftotext = (bytes: Buffer): string => execFileSync("pdftotext", ["-enc", "UTF-8", "-", "-"], { input: bytes }).toString("utf8");
/** The signed byte ranges [a, b, c, d] of the (only) signature. */
const byteRange = (bytes: Buffer): number[] => {
  const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(bytes.toString("latin1"));
  if (!m) throw new Error("no ByteRange");
  return m.slice(1).map(Number);
};

let ipSeq = 0;
/** A client address of its own for each caller, so throttling one test leaves the others alone. */
const freshIp = () => `198.51.100.${++ipSeq}`;

describe.each(engines)("signed prescriptions on %s", (engine) => {
  let t: TestDatabase;
  let attending: TestUser, patientUser: TestUser, outsider: TestUser;
  let patientId: string;
  let rxId: string;
  let pdf: Buffer;
  let code: string;
  let licence: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    forgetSigningIdentity();
    attending = await createUser("provider", { fullName: "Dr Ingrid Ødegård" });
    patientUser = await createUser("patient");
    outsider = await createUser("provider");
    patientId = await createPatient({ createdBy: attending.id, userId: patientUser.id, firstName: UNICODE_NAME.first, lastName: UNICODE_NAME.last });
    await addToCareTeam(patientId, attending.id, "attending");
    licence = await serviceQuery(async (tx) =>
      (await tx.selectFrom("providers").select("license_number").where("user_id", "=", attending.id).executeTakeFirstOrThrow()).license_number,
    );
    const created = await call(prescriptionsRoute.POST, {
      token: attending.accessToken,
      params: { id: patientId },
      body: { medication: "Metformin 500 mg tablets", dosage: "500 mg", frequency: "twice daily with meals", start_date: "2026-12-01" },
    });
    expect(created.status).toBe(201);
    rxId = created.body.id;
    code = await serviceQuery(async (tx) =>
      (await tx.selectFrom("prescriptions").select("verification_code").where("id", "=", rxId).executeTakeFirstOrThrow()).verification_code,
    );
    const res = await call(pdfRoute.GET, { token: attending.accessToken, params: { id: rxId } });
    expect(res.status).toBe(200);
    pdf = res.bytes!;
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  it("signs every PDF: pdfsig reports the signature valid over the whole document, by the clinic", () => {
    const out = pdfsig(pdf);
    expect(out).toContain("Signature is Valid");
    expect(out).toContain("Total document signed");
    expect(out).toContain("Carebase Clinic (prescriptions)");
    // a self-signed clinic certificate: authentic and unmodified, but no public CA vouches for it
    expect(out).toMatch(/Certificate Validation: (Certificate issuer is unknown|Certificate issuer isn't Trusted)/);
  });

  it("one changed byte inside the signed range makes the signature invalid", () => {
    const [, , start, length] = byteRange(pdf);
    const tampered = Buffer.from(pdf);
    // inside the second signed range, in the middle of the page's content
    const at = start + Math.floor(length / 2);
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
    const out = pdfsig(tampered);
    expect(out).not.toContain("Signature is Valid");
    expect(out).toMatch(/Signature is Invalid|Digest Mismatch|not.*signed/i);
    // and one changed byte in the first range as well
    const early = Buffer.from(pdf);
    early[200] = early[200] === 0x30 ? 0x31 : 0x30;
    expect(pdfsig(early)).not.toContain("Signature is Valid");
  });

  it("prints the prescriber, licence, medication, dose, verification code and a Unicode name", () => {
    const text = pdftotext(pdf);
    for (const s of [
      "Dr Ingrid Ødegård", licence, "Physician", "Metformin 500 mg tablets", "500 mg", "twice daily with meals",
      formatVerificationCode(code), `/verify/${code}`, `${UNICODE_NAME.first} ${UNICODE_NAME.last}`, "Digitally signed for Carebase Clinic", rxId.slice(0, 8),
    ]) {
      expect(text, s).toContain(s);
    }
    expect(text).not.toContain("?");
  });

  it("signs with one clinic key, stored sealed, generated once even when instances race", async () => {
    const rows = await serviceQuery(async (tx) => tx.selectFrom("app.signing_keys").selectAll().execute());
    expect(rows).toHaveLength(1);
    expect(rows[0].purpose).toBe("prescriptions");
    expect(rows[0].private_key_sealed).toMatch(/^v1\./);
    expect(rows[0].private_key_sealed).not.toContain("PRIVATE KEY");
    // three instances starting on an empty table: one key wins, all use it
    await serviceQuery(async (tx) => {
      await tx.deleteFrom("app.signing_keys").execute();
    });
    const ids = await Promise.all([loadOrGenerateSigningKey(), loadOrGenerateSigningKey(), loadOrGenerateSigningKey()]);
    expect(new Set(ids.map((i) => i.fingerprint)).size).toBe(1);
    expect(await serviceQuery(async (tx) => tx.selectFrom("app.signing_keys").select("purpose").execute())).toHaveLength(1);
    forgetSigningIdentity();
  }, 30_000);

  it("verification: the right code gives the status, the prescriber, and of the patient only initials and birth year", async () => {
    const r = await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: freshIp() } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      found: true,
      status: "active",
      status_date: null,
      issued_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      short_id: rxId.slice(0, 8),
      prescriber: { name: "Dr Ingrid Ødegård", credential: "physician", license_number: licence },
      patient: { initials: "Z.Ł.", birth_year: 1980 },
    });
    const json = JSON.stringify(r.body);
    for (const phi of ["Zoë", "Łukasiewicz", "1980-04-02", "Metformin", "500 mg", patientId, rxId]) expect(json).not.toContain(phi);
    // as printed (dashes, lower case, O for 0) it still matches
    const typed = formatVerificationCode(code).toLowerCase().replace(/0/g, "o");
    expect((await call(verifyRoute.GET, { params: { code: typed }, headers: { [CLIENT_IP_HEADER]: freshIp() } })).body.short_id).toBe(rxId.slice(0, 8));
  });

  it("verification: an unknown code and a malformed one get the same not-found answer", async () => {
    const unknown = code.startsWith("Z") ? `Y${code.slice(1)}` : `Z${code.slice(1)}`;
    const answers = [];
    for (const c of [unknown, "not-a-code", "'; select 1 --", "X".repeat(200), "%E0%A4%A", ""]) {
      const r = await call(verifyRoute.GET, { params: { code: c }, headers: { [CLIENT_IP_HEADER]: freshIp() } });
      expect(r.status).toBe(404);
      answers.push(r.body);
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });

  it("verification: every lookup is audited (found or not), never with the code", async () => {
    const before = await serviceQuery(async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from public.audit_log where action = 'prescription.verification_lookup'`.execute(tx)).rows[0].n,
    );
    const ip = freshIp();
    await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: ip } });
    await call(verifyRoute.GET, { params: { code: "0000-0000-0000" }, headers: { [CLIENT_IP_HEADER]: ip } });
    const rows = await serviceQuery(async (tx) =>
      (await sql<{ actor_role: string; actor_id: string | null; patient_id: string | null; details: Record<string, unknown>; ip: string | null }>`
        select actor_role, actor_id, patient_id, details, ip from public.audit_log
         where action = 'prescription.verification_lookup' order by id desc limit 2`.execute(tx)).rows,
    );
    const after = await serviceQuery(async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from public.audit_log where action = 'prescription.verification_lookup'`.execute(tx)).rows[0].n,
    );
    expect(after - before).toBe(2);
    const [miss, hit] = rows;
    expect(hit).toMatchObject({ actor_role: "anon", actor_id: null, patient_id: patientId, ip });
    expect(hit.details).toMatchObject({ found: true, prescription_id: rxId });
    expect(miss).toMatchObject({ actor_role: "anon", patient_id: null, ip });
    expect(miss.details).toMatchObject({ found: false });
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it("verification is throttled per address (429 with Retry-After), other addresses unaffected", async () => {
    const saved = process.env.RATE_LIMIT_PRESCRIPTION_VERIFY_IP;
    process.env.RATE_LIMIT_PRESCRIPTION_VERIFY_IP = "3/300";
    try {
      const ip = freshIp();
      for (let i = 0; i < 3; i++) expect((await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: ip } })).status).toBe(200);
      const limited = await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: ip } });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // an unknown code from the throttled address: the same 429 (guessing gains nothing)
      expect((await call(verifyRoute.GET, { params: { code: "0000-0000-0000" }, headers: { [CLIENT_IP_HEADER]: ip } })).status).toBe(429);
      expect((await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: freshIp() } })).status).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.RATE_LIMIT_PRESCRIPTION_VERIFY_IP;
      else process.env.RATE_LIMIT_PRESCRIPTION_VERIFY_IP = saved;
    }
  });

  it("a discontinued prescription verifies as discontinued (with the date) and its PDF, still authentic, carries a banner", async () => {
    const patch = await call(prescriptionRoute.PATCH, {
      token: attending.accessToken,
      method: "PATCH",
      params: { id: rxId },
      body: { status: "discontinued", reason: "Kidney function declined" },
    });
    expect(patch.status).toBe(200);
    const endDate: string = patch.body.end_date;
    const r = await call(verifyRoute.GET, { params: { code }, headers: { [CLIENT_IP_HEADER]: freshIp() } });
    expect(r.body).toMatchObject({ found: true, status: "discontinued", status_date: endDate });
    const res = await call(pdfRoute.GET, { token: patientUser.accessToken, params: { id: rxId } });
    expect(res.status).toBe(200);
    expect(pdfsig(res.bytes!)).toContain("Signature is Valid");
    const text = pdftotext(res.bytes!);
    expect(text).toContain(`DISCONTINUED on ${endDate}`);
    expect(text).toContain("Kidney function declined");
  });

  it("the PDF stays with readers of the prescription (404 for others), and no key is needed to refuse", async () => {
    expect((await call(pdfRoute.GET, { token: outsider.accessToken, params: { id: rxId } })).status).toBe(404);
  });
});

describe("an operator's PKCS #12 (SIGNING_P12_PATH)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "p12-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("signs with the operator's certificate; a wrong password is refused without echoing it", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const certPem = selfSignedCertificate(publicKey.export({ type: "spki", format: "pem" }).toString(), privatePem, "Riverside Family Practice");
    const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(privatePem), [forge.pki.certificateFromPem(certPem)], "s3cret-pass", { algorithm: "aes256" });
    const file = path.join(dir, "clinic.p12");
    writeFileSync(file, Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary"));

    const identity = identityFromP12(file, "s3cret-pass");
    expect(identity.source).toBe("p12");
    const bytes = Buffer.from(
      await buildPrescriptionPdf(
        {
          clinic: "Riverside Family Practice",
          rx: {
            id: "0f1e2d3c-0000-4000-8000-000000000000", medication: "Amoxicillin 500 mg", dosage: "500 mg", frequency: "three times daily",
            start_date: "2026-12-01", end_date: null, status: "active", status_reason: null, status_changed_at: null, allergy_override_reason: null,
            created_at: new Date("2026-12-01T10:00:00Z"), verification_code: "7K2M9QXD4HTB",
          },
          patient: { first_name: "Mei", last_name: "王", date_of_birth: "1990-01-01", mrn: "MRN-1", allergies: [] },
          prescriber: { full_name: "Dr A", license_number: "LIC-1", specialty: null, credential: "physician" },
          verifyUrl: "https://portal.example/verify/7K2M9QXD4HTB",
        },
        { identity },
      ),
    );
    const out = pdfsig(bytes);
    expect(out).toContain("Signature is Valid");
    expect(out).toContain("Riverside Family Practice (prescriptions)");
    expect(pdftotext(bytes)).toContain("Mei 王");

    let message = "";
    try {
      identityFromP12(file, "wrong-pass");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/SIGNING_P12_PASSWORD is wrong/);
    expect(message).not.toContain("wrong-pass");
  }, 30_000);
});

describe("verification codes as typed", () => {
  it("reads case, dashes, spaces, O/I/L and percent-escapes forgivingly; anything else is malformed", () => {
    expect(normaliseVerificationCode("7k2m-9qxd-4htb")).toBe("7K2M9QXD4HTB");
    expect(normaliseVerificationCode("7K2M 9QXD 4HTB")).toBe("7K2M9QXD4HTB");
    expect(normaliseVerificationCode("7K2M%209QXD%204HTB")).toBe("7K2M9QXD4HTB");
    expect(normaliseVerificationCode("OIL0-0000-0000")).toBe("011000000000");
    for (const bad of ["", "7K2M9QXD4HT", "7K2M9QXD4HTBX", "7K2M9QXD4HTU", "%E0%A4%A", "'; drop table x; --", "X".repeat(500)]) {
      expect(normaliseVerificationCode(bad), bad).toBeNull();
    }
  });
});
