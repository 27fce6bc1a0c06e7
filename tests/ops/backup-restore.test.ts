/**
 * `npm run backup` and `npm run restore` (issue #13, item 6), on both engines, through the
 * real scripts: records, a TOTP factor and documents written through the core while the
 * source runs (on the embedded engine, the backup goes through the source's control
 * socket, as with a running server); more uploads while the backup runs; restore into an
 * empty target; the target opened as the server opens it reads everything back, documents
 * byte for byte, and its audit trail verifies. A target that holds data is refused.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { Secret, TOTP } from "otpauth";
import { afterAll, describe, expect, it } from "vitest";
import { enterRuntimeRole, openDatabase, type Database } from "@/core/db/engine";
import { migrate } from "@/core/db/migrate";
import { closeDatabase, useDatabase } from "@/core/db";
import { useObjectStore } from "@/core/storage";
import { LocalObjectStore } from "@/core/storage/local-store";
import { createPatient, getPatient } from "@/core/clinical/patients";
import { createVisit, listVisits } from "@/core/clinical/visits";
import { uploadDocument } from "@/core/storage/upload-document";
import { issueSignedUrl } from "@/core/storage/issue-signed-url";
import { downloadDocument } from "@/core/storage/download-document";
import { enrollMfa, verifyMfaEnrollment } from "@/core/auth/mfa";
import { signIn } from "@/core/auth/signin";
import { checkpointKey, writeCheckpoints } from "@/core/audit/checkpoint";
import { verifyAuditTrail } from "@/core/audit/verify-trail";
import { startControlSocket } from "@/core/ops/backup/control-socket";
import type { Session } from "@/core/auth/session-types";
import { createTestDatabase, engines } from "../support/db";
import { createUser, serviceQuery, TEST_PASSWORD } from "../support/seed";
import { pdfBytes } from "../storage/support";
import { createEmptyPgDatabase, hasBuild, runScript, startServer, urlOf, waitHealthy } from "./support";

// This process acts on both sides with the installations' secret (nothing reads it at import).
const SECRET = randomBytes(36).toString("base64url");
process.env.CAREBASE_SECRET = SECRET;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tempDir(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `carebase-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function upload(session: Session, patientId: string, bytes: Buffer): Promise<string> {
  const boundary = `----backup${randomBytes(4).toString("hex")}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lab.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const doc = await uploadDocument(session, patientId, { contentType: `multipart/form-data; boundary=${boundary}`, contentLength: body.length, body: Readable.from([body]) }, {});
  return doc.id;
}

async function download(session: Session, documentId: string): Promise<Buffer> {
  const { url } = await issueSignedUrl(session, documentId, {}, "http://localhost", {});
  const token = new URL(url).pathname.split("/").pop()!;
  const file = await downloadDocument(token, {});
  const parts: Buffer[] = [];
  for await (const chunk of file.body) parts.push(chunk);
  return Buffer.concat(parts);
}

async function documentIds(): Promise<string[]> {
  return serviceQuery(async (tx) => (await tx.selectFrom("documents").select("id").execute()).map((r) => r.id).sort());
}

/** Opens a database as server.ts does (migrate, then the runtime role) and makes it the process's. */
async function openAsServer(opts: { url?: string; dataDir?: string }): Promise<Database> {
  const db = opts.url ? await openDatabase({ url: opts.url, poolMax: 4 }) : await openDatabase({ pgliteDir: path.join(opts.dataDir!, "db"), lockDir: opts.dataDir });
  await migrate(db.pool);
  await enterRuntimeRole(db);
  useDatabase(db);
  return db;
}

describe.each(engines)("backup → restore → verify on %s", (engine) => {
  it("restores records, a TOTP factor and documents byte for byte into an empty target, refuses targets with data", async () => {
    // ---------------------------------------------------------------- the source, running
    const srcDir = tempDir("backup-src");
    let srcEnv: Record<string, string>;
    let source: Database;
    if (engine === "pglite") {
      writeFileSync(path.join(srcDir, "secret"), SECRET, { mode: 0o600 });
      source = await openAsServer({ dataDir: srcDir });
      cleanups.push(() => source.close());
      srcEnv = { DATA_DIR: srcDir }; // the scripts read DATA_DIR/secret, as the server does
    } else {
      const t = await createTestDatabase("postgresql");
      cleanups.push(() => t.drop());
      source = t.db;
      useDatabase(source);
      srcEnv = { DATA_DIR: srcDir, DATABASE_URL: await urlOf(source.pool), CAREBASE_SECRET: SECRET };
    }
    const srcStore = new LocalObjectStore(path.join(srcDir, "objects"));
    useObjectStore(srcStore);

    const provider = await createUser("provider");
    const patient = await createPatient(
      provider.session,
      { first_name: "Ada", last_name: `Backupson${randomBytes(3).toString("hex")}`, date_of_birth: "1971-02-03", gender: "female", blood_type: "AB-", allergies: ["penicillin", "latex"] },
      {},
    );
    const visit = await createVisit(provider.session, patient.id, { visit_date: new Date().toISOString(), visit_type: "office", chief_complaint: "Cough", diagnosis: "Bronchitis", notes: "Rest, fluids.", vitals: { heart_rate: 72, temperature_c: 37.9 } }, {});
    const enrolment = await enrollMfa(provider.session);
    const totp = new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(enrolment.secret) });
    const { session } = await verifyMfaEnrollment(provider.session, totp.generate({ timestamp: Date.now() - 30_000 }));
    const bytesOf = new Map<string, Buffer>();
    for (const size of [200_000, 2_600_000]) {
      const bytes = Buffer.concat([pdfBytes(size, `LAB-${randomBytes(4).toString("hex")}`)]);
      bytesOf.set(await upload(session, patient.id, bytes), bytes);
    }
    const chartBefore = await getPatient(session, patient.id, {});
    const visitsBefore = await listVisits(session, patient.id, {});
    expect(visitsBefore.map((v) => v.id)).toContain(visit.id);
    await writeCheckpoints(source.pool);
    const stopControl = engine === "pglite" ? await startControlSocket(source, { dataDir: srcDir, store: () => srcStore }) : undefined;
    cleanups.push(async () => stopControl?.());

    // ---------------------------------------------------------------- backup while uploads go on
    const work = tempDir("backup-file");
    const file = path.join(work, "nightly.cbk");
    let backupDone = false;
    const backup = runScript("backup.ts", [file], srcEnv).finally(() => {
      backupDone = true;
    });
    const during: string[] = [];
    while (!backupDone && during.length < 8) during.push(await upload(session, patient.id, pdfBytes(150_000, `DURING-${during.length}`)));
    const backedUp = await backup;
    expect(during.length).toBeGreaterThan(0);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(backedUp.stderr).toMatch(/backup written: .*nightly\.cbk/);
    expect(readdirSync(work)).toEqual(["nightly.cbk"]); // no partial file left
    const sourceDocs = await documentIds();

    const raw = readFileSync(file);
    expect(raw.subarray(0, 18).toString()).toBe("CAREBASE-BACKUP 1\n");
    expect(raw.includes(Buffer.from(SECRET))).toBe(false); // never the secret
    expect(raw.includes(Buffer.from(patient.last_name))).toBe(false); // PHI only inside the sealed body
    expect(raw.includes(Buffer.from("LAB-"))).toBe(false);
    expect((await runScript("backup.ts", [], srcEnv)).code).toBe(2); // usage

    // ---------------------------------------------------------------- restore into an empty target
    const dstDir = tempDir("backup-dst");
    let dstEnv: Record<string, string>;
    if (engine === "pglite") {
      writeFileSync(path.join(dstDir, "secret"), SECRET, { mode: 0o600 }); // the operator puts the secret back first
      dstEnv = { DATA_DIR: dstDir };
    } else {
      const empty = await createEmptyPgDatabase("carebase_restore");
      cleanups.push(() => empty.drop());
      dstEnv = { DATA_DIR: dstDir, DATABASE_URL: empty.url, CAREBASE_SECRET: SECRET };
    }
    const restored = await runScript("restore.ts", [file], dstEnv);
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect(restored.stderr).toMatch(/audit trail intact: \d+ records/);
    expect(existsSync(path.join(dstDir, "secret.check"))).toBe(true);

    // a target that holds data is refused, and left as it was
    const again = await runScript("restore.ts", [file], dstEnv);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(engine === "pglite" ? /holds db, objects: a restore writes only into a DATA_DIR that holds nothing but the root secret/ : /already holds Carebase tables/);
    const intoSource = await runScript("restore.ts", [file], srcEnv);
    expect(intoSource.code).toBe(2);
    expect(intoSource.stderr).toMatch(engine === "pglite" ? /Another Carebase process .* Stop the server before restoring/ : /already holds Carebase tables/);

    // audit:verify on the restored target
    const verified = await runScript("audit-verify.ts", [], dstEnv);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/audit trail intact/);

    // ---------------------------------------------------------------- the target, opened as the server opens it
    const target = await openAsServer(engine === "pglite" ? { dataDir: dstDir } : { url: dstEnv.DATABASE_URL });
    cleanups.push(() => closeDatabase());
    useObjectStore(new LocalObjectStore(path.join(dstDir, "objects")));

    expect(await getPatient(session, patient.id, {})).toEqual(chartBefore);
    expect(await listVisits(session, patient.id, {})).toEqual(visitsBefore);
    for (const [id, bytes] of bytesOf) expect((await download(session, id)).equals(bytes)).toBe(true);
    // consistent: every restored document is one of the source's, with its bytes; those before the backup are all there
    const restoredDocs = await documentIds();
    for (const id of bytesOf.keys()) expect(restoredDocs).toContain(id);
    for (const id of restoredDocs) {
      expect(sourceDocs).toContain(id);
      expect((await download(session, id)).length).toBeGreaterThan(0);
    }
    // the TOTP factor still opens (its secret is sealed under the root secret)
    const signedIn = await signIn({ email: provider.email, password: TEST_PASSWORD, totp_code: totp.generate({ timestamp: Date.now() + 30_000 }) });
    expect(signedIn.session.aal).toBe("aal2");
    const audit = await verifyAuditTrail(target.pool, checkpointKey());
    expect(audit.ok, audit.problems.map((p) => p.reason).join("\n")).toBe(true);
    expect(audit.records).toBeGreaterThan(5);
    expect(audit.checkpoints).toBeGreaterThan(0);
    await closeDatabase();

    // and the server starts on it (its start-up checks the root secret against the data)
    if (hasBuild) {
      const server = await startServer(dstEnv);
      try {
        expect(await waitHealthy(server)).toMatchObject({ status: "ok", database: engine });
      } finally {
        expect(await server.stop(), server.output()).toBe(0);
      }
    }
  }, 300_000);
});
