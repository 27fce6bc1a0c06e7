/**
 * No PHI in mail: every template, rendered with a PHI-rich fixture passed in as if a caller
 * had handed it everything it knew, shows none of it — only the clinic's name and links.
 */
import { describe, expect, it } from "vitest";
import { mailConfig } from "./mail-config";
import { MAIL_KINDS, NOTICE_KINDS, renderMail, type MailParams } from "./templates";

const PHI = {
  full_name: "Rosalind Quetzal-Hargreave",
  first_name: "Rosalind",
  date_of_birth: "1957-11-23",
  mrn: "MRN-884512",
  diagnosis: "Type 2 diabetes mellitus",
  allergies: ["Penicillin", "Sulfonamide"],
  medication: "Metformin 500 mg",
  chief_complaint: "Chest pain radiating to the left arm",
  notes: "HIV positive, disclosed at intake",
  appointment_reason: "Oncology follow-up",
  phone: "+1 555 0142 77",
};
const needles = [PHI.full_name, PHI.first_name, PHI.date_of_birth, PHI.mrn, "diabetes", "Penicillin", "Sulfonamide", "Metformin", "Chest pain", "HIV", "Oncology", "555 0142"];

const config = { ...mailConfig({}), publicUrl: "https://portal.clinic.test", clinicName: "Riverside Clinic", smtpUrl: "smtp://127.0.0.1:2525" };
// Every template gets the whole fixture plus whatever its link needs (a token or an invite code).
const paramsFor = <K extends (typeof MAIL_KINDS)[number]>(): MailParams[K] =>
  ({ ...PHI, token: "tok_abc", code: "K7QX-M2PA-9RTW-4HNE" }) as unknown as MailParams[K];

describe("mail templates", () => {
  it.each(MAIL_KINDS)("%s carries the clinic's name and a portal link, and no PHI", (kind) => {
    const m = renderMail(kind, paramsFor(), config);
    const all = `${m.subject}\n${m.text}\n${m.html}`;
    for (const n of needles) expect(all.toLowerCase(), `${kind} shows "${n}"`).not.toContain(n.toLowerCase());
    expect(all).toContain("Riverside Clinic");
    expect(m.text).toMatch(/https:\/\/portal\.clinic\.test\//);
    // every link goes to the portal, and none carries a query string
    for (const url of all.match(/https?:\/\/[^\s"<]+/g) ?? []) {
      expect(url.startsWith("https://portal.clinic.test/")).toBe(true);
      expect(url).not.toContain("?");
    }
  });

  it("puts the reset token in the link's fragment, never in a query string", () => {
    const m = renderMail("password_reset", { token: "tok_abc" }, config);
    expect(m.text).toContain("https://portal.clinic.test/reset-password#token=tok_abc");
    expect(m.html).toContain('href="https://portal.clinic.test/reset-password#token=tok_abc"');
  });

  it("covers every kind the outbox accepts, notices included", () => {
    expect(MAIL_KINDS).toEqual(expect.arrayContaining(["verify_email", "staff_invite", "patient_invite", ...NOTICE_KINDS]));
    expect(NOTICE_KINDS).toHaveLength(5);
  });

  it("puts verification and invitation secrets in the link's fragment only", () => {
    expect(renderMail("verify_email", { token: "tok_v" }, config).text).toContain("https://portal.clinic.test/verify-email#token=tok_v");
    expect(renderMail("staff_invite", { token: "tok_s" }, config).text).toContain("https://portal.clinic.test/accept-invite#token=tok_s");
    expect(renderMail("patient_invite", { code: "K7QX-M2PA" }, config).text).toContain("https://portal.clinic.test/sign-up#invite_code=K7QX-M2PA");
  });

  it.each(NOTICE_KINDS)("the %s notice says to sign in, and how to turn notices off", (kind) => {
    const m = renderMail(kind, {}, config);
    expect(m.text).toContain("Sign in to the portal to see the details.");
    expect(m.text).toContain("https://portal.clinic.test/account");
  });

  it("the reminder links to My records, where a video visit is joined, without saying whether it is one", () => {
    const m = renderMail("appointment_reminder", {}, config);
    expect(m.text).toContain("Open My records: https://portal.clinic.test/my-records");
    expect(m.text).toContain("If it is a video visit");
  });

  it("escapes the clinic's name in HTML", () => {
    const m = renderMail("mfa_enabled", {}, { ...config, clinicName: "A&B <Care>" });
    expect(m.html).toContain("A&amp;B &lt;Care&gt;");
    expect(m.html).not.toContain("<Care>");
  });
});
