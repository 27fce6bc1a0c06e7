/**
 * `npm run demo`: fills the configured database (DATABASE_URL, or the embedded one in
 * DATA_DIR) with a realistic demo clinic and prints its sign-in details. Safe to run
 * again: the clinic is created once; later runs give the demo accounts a new password.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { sql } from "kysely";
import { initDatabase, closeDatabase } from "../src/core/db/index";
import { asService, type Tx } from "../src/core/db/with-user";
import { hashPassword } from "../src/core/auth/passwords";
import { sha256Hex } from "../src/core/auth/tokens";
import { newDeviceToken } from "../src/core/vitals/with-device";
import { objectStore } from "../src/core/storage/index";
import { BUCKET } from "../src/core/storage/document-view";

const DOMAIN = "demo.carebase.test";
const PATIENTS = Number(process.env.DEMO_PATIENTS ?? 300);

// A small deterministic PRNG so every demo clinic looks the same.
let seed = 20261123;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const between = (a: number, b: number) => a + Math.floor(rand() * (b - a + 1));

const FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas", "Mia", "Amara", "Kenji", "Priya", "Omar", "Zoe", "Hana", "Diego", "Fatima", "Wei", "Chloe", "Ibrahim", "Nora", "Samuel", "Leila", "Arjun", "Grace", "Tomás", "Aisha", "Jonas"];
const LAST = ["Garcia", "Smith", "Nguyen", "Okafor", "Patel", "Kowalski", "Haddad", "Tanaka", "Müller", "Johnson", "Silva", "Rossi", "Andersen", "Kim", "Mensah", "Dubois", "Cohen", "Novak", "Ibrahim", "Larsen", "Moreno", "Chen", "Walker", "Hughes", "Fischer", "Costa", "Ali", "Brown", "Sato", "Lopez"];
const COMPLAINTS: [string, string][] = [
  ["Persistent cough", "Acute bronchitis"], ["Headache and dizziness", "Tension-type headache"], ["Sore throat", "Viral pharyngitis"],
  ["Lower back pain", "Lumbar strain"], ["Follow-up: blood pressure", "Essential hypertension"], ["Fatigue", "Iron-deficiency anaemia"],
  ["Rash on forearm", "Contact dermatitis"], ["Annual check-up", "Healthy adult exam"], ["Knee pain after running", "Patellofemoral pain syndrome"],
  ["Follow-up: diabetes", "Type 2 diabetes mellitus"], ["Shortness of breath on exertion", "Mild persistent asthma"], ["Ear pain", "Otitis media"],
];
const MEDS: [string, string, string][] = [
  ["Amoxicillin", "500 mg", "three times daily"], ["Lisinopril", "10 mg", "once daily"], ["Metformin", "500 mg", "twice daily"],
  ["Ibuprofen", "400 mg", "every 8 hours as needed"], ["Atorvastatin", "20 mg", "once daily at night"], ["Salbutamol inhaler", "100 mcg", "2 puffs as needed"],
  ["Ferrous sulfate", "200 mg", "once daily"], ["Cetirizine", "10 mg", "once daily"], ["Omeprazole", "20 mg", "once daily before breakfast"],
];
const ALLERGIES = ["penicillin", "latex", "peanuts", "sulfa drugs", "shellfish", "aspirin", "pollen"];
const BLOOD = ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"] as const;

const STAFF = [
  { key: "admin", role: "admin", name: "Alex Morgan" },
  { key: "dr.rivera", role: "provider", name: "Dr. Sofia Rivera", specialty: "Family medicine", team: "attending" },
  { key: "dr.okafor", role: "provider", name: "Dr. Chidi Okafor", specialty: "Internal medicine", team: "attending" },
  { key: "nurse.lee", role: "provider", name: "Jordan Lee, RN", specialty: "Nursing", team: "nurse" },
  { key: "nurse.haddad", role: "provider", name: "Samira Haddad, RN", specialty: "Nursing", team: "nurse" },
  { key: "dr.tanaka", role: "provider", name: "Dr. Yuki Tanaka", specialty: "Cardiology", team: "specialist" },
  { key: "dr.novak", role: "provider", name: "Dr. Petra Novak", specialty: "Dermatology", team: "specialist" },
  { key: "dr.pending", role: "provider", name: "Dr. Sam Pending", specialty: "Pediatrics", team: null, unverified: true },
] as const;

async function main(): Promise<void> {
  const db = await initDatabase();
  const password = `demo-${randomBytes(9).toString("base64url")}`;
  const passwordHash = await hashPassword(password);
  const result = await asService("demo clinic seeding", async (tx) => {
    const existing = await tx.selectFrom("auth.users").select("id").where("email", "=", `admin@${DOMAIN}`).executeTakeFirst();
    if (existing) {
      await tx.updateTable("auth.users").set({ password_hash: passwordHash }).where("email", "like", `%@${DOMAIN}`).execute();
      return { created: false, deviceToken: null as string | null };
    }
    return { created: true, deviceToken: await createClinic(tx, passwordHash) };
  });

  const rows = await asService("demo clinic listing", (tx) =>
    tx
      .selectFrom("auth.users")
      .select(["email", "role", "full_name"])
      .where("email", "like", `%@${DOMAIN}`)
      .where((eb) => eb.or([eb("role", "<>", "patient"), eb("email", "=", `patient1@${DOMAIN}`)]))
      .orderBy("role")
      .orderBy("email")
      .execute(),
  );
  console.log(result.created ? `\nDemo clinic created (${PATIENTS} patients) on ${db.kind}.` : `\nThe demo clinic already exists on ${db.kind}; its accounts have a new password.`);
  console.log(`\nSign in at http://localhost:${process.env.PORT ?? 3000}/sign-in with password: ${password}\n`);
  for (const r of rows) console.log(`  ${r.role.padEnd(9)} ${r.email.padEnd(36)} ${r.full_name}`);
  console.log(`  (patient1…patient20@${DOMAIN} are the portal accounts of the first 20 patients;`);
  console.log(`   dr.pending@${DOMAIN} waits for verification)`);
  console.log("\nThe admin must turn on two-factor authentication (Account page) before admin pages open.");
  if (result.deviceToken) {
    console.log(`\nA wearable of patient1 is registered; with the server running (npm start), stream live vitals with:\n  ${simulatorCommand(result.deviceToken)}`);
  }
  await closeDatabase();
}

/** The command the demo prints for its wearable: it must work as printed (tests/ops/demo.test.ts runs it). */
export function simulatorCommand(deviceToken: string, baseUrl = `http://localhost:${process.env.PORT ?? 3000}`): string {
  return `npm run simulate:wearable -- --token ${deviceToken} --url ${baseUrl}`;
}

/** Creates the demo clinic in the caller's service transaction; returns patient1's wearable token (shown once). */
export async function createClinic(tx: Tx, passwordHash: string, patients = PATIENTS): Promise<string> {
  const ids = new Map<string, string>();
  for (const s of STAFF) {
    const id = randomUUID();
    ids.set(s.key, id);
    await tx.insertInto("auth.users").values({ id, email: `${s.key}@${DOMAIN}`, role: s.role, full_name: s.name, password_hash: passwordHash }).execute();
    if (s.role === "provider") {
      const verified = !("unverified" in s && s.unverified);
      await tx
        .insertInto("providers")
        .values({ user_id: id, credential: s.specialty === "Nursing" ? "registered_nurse" : "physician", license_number: `LIC-${between(100000, 999999)}`, specialty: s.specialty, is_verified: verified, verified_at: verified ? new Date() : null, verified_by: verified ? ids.get("admin")! : null })
        .execute();
    }
  }
  const attendings = ["dr.rivera", "dr.okafor"];
  const nurses = ["nurse.lee", "nurse.haddad"];
  const specialists = ["dr.tanaka", "dr.novak"];
  const today = new Date();
  const day = 86_400_000;
  let deviceToken = "";

  for (let i = 0; i < patients; i++) {
    const patientId = randomUUID();
    const attending = ids.get(attendings[i % attendings.length])!;
    const nurse = ids.get(nurses[i % nurses.length])!;
    const first = pick(FIRST);
    const last = pick(LAST);
    const dob = new Date(Date.UTC(between(1940, 2015), between(0, 11), between(1, 28))).toISOString().slice(0, 10);
    let userId: string | null = null;
    if (i < 20) {
      userId = randomUUID();
      await tx.insertInto("auth.users").values({ id: userId, email: `patient${i + 1}@${DOMAIN}`, role: "patient", full_name: `${first} ${last}`, password_hash: passwordHash }).execute();
    }
    await tx
      .insertInto("patients")
      .values({
        id: patientId,
        created_by: attending,
        first_name: first,
        last_name: last,
        date_of_birth: dob,
        gender: pick(["female", "male", "female", "male", "other"] as const),
        blood_type: pick(BLOOD),
        allergies: rand() < 0.35 ? [pick(ALLERGIES)] : [],
        emergency_contact: JSON.stringify({ name: `${pick(FIRST)} ${last}`, relationship: pick(["spouse", "parent", "sibling", "friend"]), phone: `+1 555 01${between(10, 99)} ${between(1000, 9999)}` }),
        address: `${between(1, 999)} ${pick(["Maple", "Oak", "Cedar", "Pine", "Elm"])} Street, Springfield`,
        insurance: JSON.stringify({ provider: pick(["Acme Health", "BlueRiver", "CareFirst Mutual"]), policy_number: `POL-${between(100000, 999999)}` }),
        mrn: `DEMO-${String(i + 1).padStart(5, "0")}`,
      })
      .execute();
    if (userId) await tx.updateTable("patients").set({ user_id: userId }).where("id", "=", patientId).execute();
    await tx.insertInto("care_team").values({ patient_id: patientId, provider_id: nurse, role: "nurse", added_by: ids.get("admin")! }).execute();
    const specialist = rand() < 0.3 ? ids.get(pick(specialists))! : null;
    if (specialist) await tx.insertInto("care_team").values({ patient_id: patientId, provider_id: specialist, role: "specialist", added_by: ids.get("admin")! }).execute();

    const visits = between(1, 6);
    for (let v = 0; v < visits; v++) {
      const [complaint, diagnosis] = pick(COMPLAINTS);
      const visitId = randomUUID();
      const when = new Date(today.getTime() - between(0, 720) * day - between(0, 8) * 3_600_000);
      await tx
        .insertInto("visits")
        .values({
          id: visitId, patient_id: patientId, provider_id: rand() < 0.7 ? attending : nurse, visit_date: when,
          chief_complaint: complaint, diagnosis,
          notes: `Patient seen for ${complaint.toLowerCase()}. Discussed plan and follow-up.`,
          vitals: JSON.stringify({ blood_pressure: `${between(105, 150)}/${between(65, 95)}`, heart_rate: between(55, 100), temperature_c: Math.round((36.2 + rand() * 1.6) * 10) / 10, weight_kg: between(45, 110) }),
        })
        .execute();
      if (rand() < 0.6) {
        const [medication, dosage, frequency] = pick(MEDS);
        const start = when.toISOString().slice(0, 10);
        const active = rand() < 0.55;
        await tx
          .insertInto("prescriptions")
          .values({ visit_id: visitId, patient_id: patientId, prescriber_id: attending, medication, dosage, frequency, start_date: start, end_date: active ? null : new Date(when.getTime() + 14 * day).toISOString().slice(0, 10), is_active: active })
          .execute();
      }
    }
    if (rand() < 0.4) {
      const startsAt = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + between(1, 30), between(8, 16), pick([0, 30])));
      const confirmed = rand() < 0.5;
      await tx
        .insertInto("appointments")
        .values({ patient_id: patientId, provider_id: attending, starts_at: startsAt, ends_at: new Date(startsAt.getTime() + 30 * 60_000), status: "requested", reason: pick(["Follow-up", "Medication review", "Lab results", "New symptoms"]), requested_by: userId ?? attending })
        .execute();
      if (confirmed) {
        // confirmed slots may not overlap for one provider: skip the ones that would
        await sql`update appointments a set status = 'confirmed' where a.patient_id = ${patientId} and not exists (
                    select 1 from appointments b where b.provider_id = a.provider_id and b.status = 'confirmed'
                      and tstzrange(b.starts_at, b.ends_at) && tstzrange(a.starts_at, a.ends_at))`.execute(tx);
      }
    }
    if (i === 0) {
      // The same kind of token the portal issues (cbd_…): the vitals endpoint refuses anything else.
      deviceToken = newDeviceToken();
      const deviceId = randomUUID();
      await tx.insertInto("devices").values({ id: deviceId, patient_id: patientId, name: "Demo watch", token_hash: sha256Hex(deviceToken) }).execute();
      const now = Date.now();
      const samples = [];
      for (let m = 24 * 60; m > 0; m -= 5) {
        const at = new Date(now - m * 60_000);
        samples.push({ patient_id: patientId, device_id: deviceId, metric: "heart_rate" as const, value: 62 + Math.round(12 * Math.sin(m / 90) + rand() * 8), unit: "bpm", recorded_at: at });
        samples.push({ patient_id: patientId, device_id: deviceId, metric: "steps" as const, value: between(0, 450), unit: "count", recorded_at: at });
      }
      for (let k = 0; k < samples.length; k += 500) await tx.insertInto("vitals").values(samples.slice(k, k + 500)).execute();
    }
    if (i < 12) {
      const reviewed = i % 3 !== 0; // a few stay pending for the dashboard's Pending Documents card
      await addDemoDocument(tx, { patientId, patientName: `${first} ${last}`, uploadedBy: attending, reviewed, when: new Date(today.getTime() - between(1, 60) * day) });
    }
  }
  return deviceToken;
}

const LABS: [string, string, string][] = [
  ["Haemoglobin", "g/dL", "12.0-17.5"], ["White cell count", "x10^9/L", "4.0-11.0"], ["Platelets", "x10^9/L", "150-400"],
  ["Glucose (fasting)", "mmol/L", "3.9-5.5"], ["HbA1c", "%", "4.0-5.6"], ["Total cholesterol", "mmol/L", "< 5.2"],
];

/** A small lab-result PDF, stored encrypted through the object store like an upload, with its rows. */
async function addDemoDocument(tx: Tx, d: { patientId: string; patientName: string; uploadedBy: string; reviewed: boolean; when: Date }): Promise<void> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  page.drawText("Springfield Clinical Laboratory", { x: 50, y: 780, size: 16, font: bold });
  page.drawText("Laboratory report (demo data)", { x: 50, y: 758, size: 11, font });
  page.drawText(`Patient: ${d.patientName}`, { x: 50, y: 728, size: 11, font });
  page.drawText(`Collected: ${d.when.toISOString().slice(0, 10)}`, { x: 50, y: 712, size: 11, font });
  let y = 680;
  for (const [test, unit, range] of LABS) {
    const value = (rand() * 10 + 2).toFixed(1);
    page.drawText(`${test.padEnd(22)}  ${value} ${unit}   (reference ${range})`, { x: 50, y, size: 10, font });
    y -= 16;
  }
  const bytes = Buffer.from(await pdf.save());
  const id = randomUUID();
  const key = `${d.patientId}/${randomUUID()}`;
  await objectStore().put(key, Readable.from([bytes]));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await tx
    .insertInto("documents")
    .values({
      id, patient_id: d.patientId, uploaded_by: d.uploadedBy, object_key: key, document_type: "lab_result",
      description: "Full blood count and metabolic panel", original_name: "lab-report.pdf", content_type: "application/pdf",
      size_bytes: bytes.length, sha256, uploaded_at: d.when,
      reviewed_at: d.reviewed ? new Date(d.when.getTime() + 86_400_000) : null, reviewed_by: d.reviewed ? d.uploadedBy : null,
    })
    .execute();
  await tx
    .insertInto("storage.objects")
    .values({ bucket_id: BUCKET, name: key, owner: d.uploadedBy, metadata: JSON.stringify({ document_id: id, size: bytes.length, content_type: "application/pdf", sha256 }) })
    .execute();
}

// Run as a command (npm run demo), not when a test imports createClinic.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(async (e) => {
    console.error(`Demo failed: ${(e as Error).message}`);
    await closeDatabase().catch(() => {});
    process.exit(1);
  });
}
