import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { createPatient, createUser, serviceQuery, sql, type TestUser } from "../support/seed";
import { log } from "@/core/log";
import { loadStorageConfig } from "@/core/storage/config";
import { deleteDocument } from "@/core/storage/delete-document";
import { startDocumentRetention } from "@/core/storage/purge-deleted-documents";
import { uploadDocument } from "@/core/storage/upload-document";
import { drivers, pdfBytes, startTestStore, storedRows, type DriverKind, type TestStore } from "./support";

const matrix = engines.flatMap((e) => drivers.map((d) => [e, d] as [string, DriverKind]));
const FILE_NAME = "Potassium-critical-Jane-Doe.pdf";

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("document retention settings", () => {
  it("defaults to 30 days, takes whole days or off, refuses anything else", () => {
    const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;
    expect(loadStorageConfig(env({})).retentionDays).toBe(30);
    expect(loadStorageConfig(env({ DOCUMENT_RETENTION_DAYS: "0" })).retentionDays).toBe(0);
    expect(loadStorageConfig(env({ DOCUMENT_RETENTION_DAYS: "3650" })).retentionDays).toBe(3650);
    expect(loadStorageConfig(env({ DOCUMENT_RETENTION_DAYS: "off" })).retentionDays).toBeNull();
    for (const bad of ["-1", "1.5", "30d", "never"]) {
      expect(() => loadStorageConfig(env({ DOCUMENT_RETENTION_DAYS: bad })), bad).toThrow(/DOCUMENT_RETENTION_DAYS/);
    }
  });

  it("schedules nothing when retention is off", async () => {
    const purge = vi.fn();
    const stop = startDocumentRetention({ retentionDays: null, intervalMs: 10, store: { delete: purge } as never });
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(purge).not.toHaveBeenCalled();
  });
});

describe.each(matrix)("the retention job on %s with the %s store", (engine, driver) => {
  let t: TestDatabase;
  let s: TestStore;
  let attending: TestUser;
  let patientId: string;
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    t = await installTestDatabase(engine as "pglite" | "postgresql");
    s = await startTestStore(driver);
    attending = await createUser("provider");
    patientId = await createPatient({ createdBy: attending.id });
  });
  afterEach(() => {
    stop?.();
    stop = undefined;
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await s?.stop();
    await t?.drop();
  });

  async function store(): Promise<{ id: string; key: string }> {
    const boundary = "----retention";
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${FILE_NAME}"\r\nContent-Type: application/pdf\r\n\r\n`),
      pdfBytes(40_000),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const doc = await uploadDocument(
      attending.session,
      patientId,
      { contentType: `multipart/form-data; boundary=${boundary}`, contentLength: body.length, body: Readable.from([body]) },
      {},
      { store: s.store },
    );
    const key = await serviceQuery(async (tx) => (await tx.selectFrom("documents").select("object_key").where("id", "=", doc.id).executeTakeFirstOrThrow()).object_key);
    return { id: doc.id, key };
  }

  async function softDelete(id: string, daysAgo: number): Promise<void> {
    await deleteDocument(attending.session, id, { reason: "Uploaded to the wrong chart" }, {});
    // as the owner (the guard stops application roles): backdate the deletion
    await serviceQuery((tx) => sql`update public.documents set deleted_at = now() - make_interval(days => ${daysAgo}) where id = ${id}`.execute(tx));
  }

  it("removes an expired soft-deleted document's rows and blob at start-up, keeps a fresh one and live ones, logs ids and counts only", async () => {
    const expired = await store();
    const fresh = await store();
    const live = await store();
    await softDelete(expired.id, 31);
    await softDelete(fresh.id, 29);
    const info = vi.spyOn(log, "info");

    stop = startDocumentRetention({ retentionDays: 30, intervalMs: 60 * 60_000, store: s.store });
    await waitFor(async () => !(await storedRows(patientId)).documents.includes(expired.key), "the first run");
    await waitFor(async () => !(await s.keys()).includes(expired.key), "the blob to go");

    const rows = await storedRows(patientId);
    const kept = [fresh.key, live.key].sort();
    expect(rows.documents).toEqual(kept);
    expect(rows.objects).toEqual(kept);
    expect((await s.keys()).filter((k) => k.startsWith(`${patientId}/`))).toEqual(kept);

    const purgedLog = info.mock.calls.find((c) => c[1] === "soft-deleted documents purged");
    expect(purgedLog?.[0]).toEqual({ purged: 1, blobsLeft: 0, retentionDays: 30, documentIds: [expired.id] });
    const logged = JSON.stringify(info.mock.calls);
    expect(logged).not.toContain(patientId); // object keys carry the patient id
    expect(logged).not.toContain("Potassium");
  });

  it("runs again every interval: a document that expires later goes at the next run", async () => {
    const doc = await store();
    await softDelete(doc.id, 5);
    stop = startDocumentRetention({ retentionDays: 7, intervalMs: 200, store: s.store });
    await new Promise((r) => setTimeout(r, 500)); // the start-up run and a scheduled one: within retention
    expect((await storedRows(patientId)).documents).toContain(doc.key);
    expect(await s.keys()).toContain(doc.key);

    await serviceQuery((tx) => sql`update public.documents set deleted_at = now() - make_interval(days => 8) where id = ${doc.id}`.execute(tx));
    await waitFor(async () => !(await s.keys()).includes(doc.key), "a later run");
    expect((await storedRows(patientId)).documents).not.toContain(doc.key);
  });
});
