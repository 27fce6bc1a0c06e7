import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../support/db";
import { addToCareTeam, createPatient, createUser, removeFromCareTeam, serviceQuery, type TestUser } from "../support/seed";
import { useObjectStore } from "@/core/storage";
import { LocalObjectStore } from "@/core/storage/local-store";
import { HEADER_BYTES } from "@/core/storage/envelope";
import { signDownloadGrant } from "@/core/storage/signed-url-token";
import { sweepOrphans } from "@/core/storage/sweep-orphans";
import { purgeDeletedDocuments } from "@/core/storage/purge-deleted-documents";
import { revokeSession } from "@/core/auth/revoke-session";
import { GET as listRoute, POST as uploadRoute } from "@/app/api/v1/patients/[id]/documents/route";
import { POST as signedUrlRoute } from "@/app/api/v1/documents/[id]/signed-url/route";
import { POST as reviewRoute } from "@/app/api/v1/documents/[id]/review/route";
import { DELETE as deleteRoute } from "@/app/api/v1/documents/[id]/route";
import { GET as fileRoute } from "@/app/api/v1/files/[token]/route";
import { drivers, JPEG_MAGIC, pdfBytes, PNG_MAGIC, startTestStore, storedRows, type DriverKind, type TestStore } from "./support";

const MAX = 10 * 1024 * 1024;
const ctx = <P extends Record<string, string>>(params: P) => ({ params: Promise.resolve(params) });

interface FilePart {
  bytes: Buffer;
  name?: string;
  type?: string;
}

function form(file: FilePart | undefined, fields: Record<string, string> = { document_type: "lab_result", description: "CBC panel" }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  if (file) fd.set("file", new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "" }), file.name ?? "result.pdf");
  return fd;
}

async function upload(user: TestUser, patientId: string, body: FormData | string, headers: Record<string, string> = {}) {
  const req = new Request(`http://localhost/api/v1/patients/${patientId}/documents`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, ...headers },
    body,
  });
  const res = await uploadRoute(req, ctx({ id: patientId }));
  return { status: res.status, body: await res.json() };
}

async function signedUrl(user: TestUser, documentId: string, body?: unknown) {
  const req = new Request(`http://localhost/api/v1/documents/${documentId}/signed-url`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const res = await signedUrlRoute(req, ctx({ id: documentId }));
  return { status: res.status, body: await res.json() };
}

/** Follows a signed URL with no other credentials. */
async function download(url: string) {
  const token = new URL(url).pathname.split("/").pop()!;
  const res = await fileRoute(new Request(url), ctx({ token }));
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return { status: res.status, headers: res.headers, body: await res.json(), bytes: undefined };
  return { status: res.status, headers: res.headers, body: undefined, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function list(user: TestUser, patientId: string) {
  const res = await listRoute(new Request(`http://localhost/api/v1/patients/${patientId}/documents`, { headers: { authorization: `Bearer ${user.accessToken}` } }), ctx({ id: patientId }));
  return { status: res.status, body: await res.json() };
}

async function review(user: TestUser, documentId: string) {
  const res = await reviewRoute(new Request(`http://localhost/api/v1/documents/${documentId}/review`, { method: "POST", headers: { authorization: `Bearer ${user.accessToken}` } }), ctx({ id: documentId }));
  return { status: res.status, body: await res.json() };
}

async function remove(user: TestUser, documentId: string, body: unknown) {
  const res = await deleteRoute(
    new Request(`http://localhost/api/v1/documents/${documentId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    ctx({ id: documentId }),
  );
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** Read-audit records of one kind that name this record. */
async function auditCount(kind: string, recordId: string): Promise<number> {
  return serviceQuery(async (tx) => {
    const rows = await tx.selectFrom("audit_log").select("details").where("table_name", "=", kind).where("action", "=", "read").execute();
    return rows.filter((r) => JSON.stringify(r.details ?? {}).includes(recordId)).length;
  });
}

const matrix = engines.flatMap((e) => drivers.map((d) => [e, d] as [string, DriverKind]));

describe.each(matrix)("documents on %s with the %s store", (engine, driver) => {
  let t: TestDatabase;
  let s: TestStore;
  let attending: TestUser;
  let nurse: TestUser;
  let outsider: TestUser;
  let patientUser: TestUser;
  let patientId: string;
  let otherPatientId: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine as "pglite" | "postgresql");
    s = await startTestStore(driver);
    useObjectStore(s.store);
    attending = await createUser("provider");
    nurse = await createUser("provider");
    outsider = await createUser("provider");
    patientUser = await createUser("patient");
    patientId = await createPatient({ createdBy: attending.id, userId: patientUser.id });
    await addToCareTeam(patientId, nurse.id, "nurse");
    otherPatientId = await createPatient({ createdBy: outsider.id });
  });
  afterAll(async () => {
    useObjectStore(undefined);
    await s?.stop();
    await t?.drop();
  });

  /** Nothing stored for this patient beyond `expected` (rows and blobs agree). */
  async function expectStored(expected: string[]) {
    const rows = await storedRows(patientId);
    const blobs = (await s.keys()).filter((k) => k.startsWith(`${patientId}/`));
    expect(rows.documents).toEqual([...expected].sort());
    expect(rows.objects).toEqual([...expected].sort());
    expect(blobs).toEqual([...expected].sort());
    expect(await s.incomplete()).toBe(0);
  }
  const keysNow = async () => (await storedRows(patientId)).documents;

  it("stores an upload, lists it, and serves it through a signed URL to the patient", async () => {
    const bytes = pdfBytes(200_000);
    const up = await upload(attending, patientId, form({ bytes, name: "CBC March.pdf", type: "application/pdf" }));
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({
      patient_id: patientId,
      document_type: "lab_result",
      description: "CBC panel",
      file_name: "CBC March.pdf",
      content_type: "application/pdf",
      size_bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      uploaded_by: attending.id,
      reviewed_at: null,
    });
    expect(up.body).not.toHaveProperty("object_key");
    const [key] = await keysNow();
    expect(key).toMatch(new RegExp(`^${patientId}/[0-9a-f-]{36}$`));
    await expectStored([key]);

    if (s.store instanceof LocalObjectStore) {
      const onDisk = await readFile(s.store.pathOf(key));
      expect(onDisk.includes(Buffer.from("CONFIDENTIAL-LAB-RESULT-MARKER"))).toBe(false);
      expect(onDisk.includes(Buffer.from("%PDF"))).toBe(false);
    }

    const seen = await list(patientUser, patientId);
    expect(seen.status).toBe(200);
    expect(seen.body.data.map((d: { id: string }) => d.id)).toEqual([up.body.id]);
    expect(await auditCount("documents", up.body.id)).toBeGreaterThan(0);

    const link = await signedUrl(patientUser, up.body.id);
    expect(link.status).toBe(200);
    const expiresIn = (Date.parse(link.body.expires_at) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(3590);
    expect(expiresIn).toBeLessThanOrEqual(3600);
    expect(link.body.url).toMatch(/^http:\/\/localhost\/api\/v1\/files\/v2\.[A-Za-z0-9_-]+$/);

    const got = await download(link.body.url);
    expect(got.status).toBe(200);
    expect(got.bytes!.equals(bytes)).toBe(true);
    expect(got.headers.get("content-type")).toBe("application/pdf");
    expect(got.headers.get("content-disposition")).toBe(`attachment; filename="CBC March.pdf"; filename*=UTF-8''CBC%20March.pdf`);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("cache-control")).toBe("no-store");
    expect(got.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(await auditCount("signed_url", up.body.id)).toBe(1);
    expect(await auditCount("document_download", up.body.id)).toBe(1);
    await download(link.body.url);
    expect(await auditCount("document_download", up.body.id)).toBe(2);
  });

  it("accepts PNG and JPEG by content, with the extension made to match", async () => {
    const before = await keysNow();
    const png = await upload(nurse, patientId, form({ bytes: Buffer.concat([PNG_MAGIC, randomBytes(5000)]), name: "xray", type: "image/png" }, { document_type: "imaging" }));
    expect(png.status).toBe(201);
    expect(png.body).toMatchObject({ content_type: "image/png", file_name: "xray.png", description: null });
    const jpg = await upload(nurse, patientId, form({ bytes: Buffer.concat([JPEG_MAGIC, randomBytes(5000)]), name: "photo.jpeg" }, { document_type: "other" }));
    expect(jpg.status).toBe(201);
    expect(jpg.body.content_type).toBe("image/jpeg");
    expect((await keysNow()).length).toBe(before.length + 2);
    await expectStored(await keysNow());
  });

  it("accepts a file of exactly MAX_UPLOAD_BYTES (the cap is inclusive; one byte more is 413, below)", async () => {
    const bytes = pdfBytes(MAX);
    const up = await upload(attending, patientId, form({ bytes, name: "at-the-cap.pdf", type: "application/pdf" }));
    expect(up.status).toBe(201);
    expect(up.body.size_bytes).toBe(MAX);
    expect(up.body.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    await expectStored(await keysNow());
  });

  describe("bad input gets its 4xx and leaves no row and no blob", () => {
    const cases: [string, () => Promise<{ status: number; body: { error: { code: string } } }>, number, string][] = [
      ["oversize (10 MB + 1 byte)", () => upload(attending, patientId, form({ bytes: pdfBytes(MAX + 1), type: "application/pdf" })), 413, "payload_too_large"],
      ["spoofed type (PNG content declared as PDF)", () => upload(attending, patientId, form({ bytes: Buffer.concat([PNG_MAGIC, randomBytes(100)]), name: "x.pdf", type: "application/pdf" })), 415, "unsupported_media_type"],
      ["HTML named .pdf", () => upload(attending, patientId, form({ bytes: Buffer.from("<html><script>alert(1)</script></html>"), name: "x.pdf", type: "application/pdf" })), 415, "unsupported_media_type"],
      ["a PDF named .png", () => upload(attending, patientId, form({ bytes: pdfBytes(1000), name: "x.png" })), 415, "unsupported_media_type"],
      ["an executable", () => upload(attending, patientId, form({ bytes: Buffer.concat([Buffer.from("MZ"), randomBytes(500)]), name: "x.exe" })), 415, "unsupported_media_type"],
      ["an empty file", () => upload(attending, patientId, form({ bytes: Buffer.alloc(0), name: "empty.pdf", type: "application/pdf" })), 422, "empty_file"],
      ["no file", () => upload(attending, patientId, form(undefined)), 422, "missing_file"],
      ["no document_type (file already streamed)", () => upload(attending, patientId, form({ bytes: pdfBytes(300_000) }, { description: "x" })), 422, "validation_failed"],
      ["an unknown document_type", () => upload(attending, patientId, form({ bytes: pdfBytes(1000) }, { document_type: "selfie" })), 422, "validation_failed"],
      ["a path-traversal file name", () => upload(attending, patientId, form({ bytes: pdfBytes(1000), name: "../../x.pdf" })), 422, "invalid_file_name"],
      ["a Windows path file name", () => upload(attending, patientId, form({ bytes: pdfBytes(1000), name: "..\\..\\x.pdf" })), 422, "invalid_file_name"],
      ["JSON instead of multipart", () => upload(attending, patientId, JSON.stringify({ document_type: "lab_result" }), { "content-type": "application/json" }), 415, "unsupported_media_type"],
      ["a patient the caller can read but not write (the patient)", () => upload(patientUser, patientId, form({ bytes: pdfBytes(1000) })), 403, "forbidden"],
      ["a patient the caller cannot read", () => upload(outsider, patientId, form({ bytes: pdfBytes(1000) })), 404, "not_found"],
    ];
    it.each(cases)("%s", async (_name, run, status, code) => {
      const before = await keysNow();
      const r = await run();
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      await expectStored(before);
    });

    it("refuses an oversize upload as it streams, without reading the rest", async () => {
      const before = await keysNow();
      const boundary = "----carebase" + randomBytes(8).toString("hex");
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`,
      );
      let pulled = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const total = 100 * 1024 * 1024;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled === 0) controller.enqueue(new Uint8Array(head));
          if (pulled >= total) return controller.close();
          pulled += chunk.length;
          controller.enqueue(new Uint8Array(chunk));
        },
      });
      const req = new Request(`http://localhost/api/v1/patients/${patientId}/documents`, {
        method: "POST",
        headers: { authorization: `Bearer ${attending.accessToken}`, "content-type": `multipart/form-data; boundary=${boundary}` },
        body,
        duplex: "half",
      } as RequestInit);
      const res = await uploadRoute(req, ctx({ id: patientId }));
      expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
      expect(res.status).toBe(413);
      expect(pulled).toBeLessThan(MAX + 2 * 1024 * 1024);
      await expectStored(before);
    });

    it("refuses a declared Content-Length over the cap before reading", async () => {
      const before = await keysNow();
      const r = await upload(attending, patientId, form({ bytes: pdfBytes(1000) }), { "content-length": String(MAX * 2) });
      expect(r.status).toBe(413);
      await expectStored(before);
    });
  });

  describe("signed URLs", () => {
    let docId: string;
    beforeAll(async () => {
      const up = await upload(attending, patientId, form({ bytes: pdfBytes(150_000), name: "Référé.pdf" }, { document_type: "referral" }));
      docId = up.body.id;
    });

    it("are issued only to those who pass RLS (another patient's provider gets 404)", async () => {
      expect((await signedUrl(outsider, docId)).status).toBe(404);
      const other = await upload(outsider, otherPatientId, form({ bytes: pdfBytes(1000) }));
      expect(other.status).toBe(201);
      expect((await signedUrl(attending, other.body.id)).status).toBe(404);
      expect((await signedUrl(patientUser, other.body.id)).status).toBe(404);
      expect((await signedUrl(attending, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
      expect((await signedUrl(attending, "not-a-uuid")).status).toBe(400);
    });

    it("honour expires_in up to the maximum", async () => {
      const short = await signedUrl(nurse, docId, { expires_in: 60 });
      expect(short.status).toBe(200);
      expect(Date.parse(short.body.expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
      expect((await signedUrl(nurse, docId, { expires_in: 10 * 86400 })).status).toBe(422);
      expect((await signedUrl(nurse, docId, { expires_in: -5 })).status).toBe(422);
    });

    it("sends a sanitised UTF-8 file name", async () => {
      const got = await download((await signedUrl(nurse, docId)).body.url);
      expect(got.headers.get("content-disposition")).toBe(`attachment; filename="R_f_r_.pdf"; filename*=UTF-8''R%C3%A9f%C3%A9r%C3%A9.pdf`);
    });

    it("carry an opaque token: the URL shows no document id, object key, user or session", async () => {
      const { url } = (await signedUrl(nurse, docId)).body;
      const objectKey = (await serviceQuery((tx) => tx.selectFrom("documents").select("object_key").where("id", "=", docId).executeTakeFirstOrThrow())).object_key;
      const token = new URL(url).pathname.split("/").pop()!;
      const decoded = Buffer.from(token.replace(/^v2\./, ""), "base64url");
      for (const id of [docId, objectKey, patientId, nurse.id, nurse.session.sessionId]) {
        expect(url).not.toContain(id);
        expect(decoded.includes(Buffer.from(id))).toBe(false);
      }
    });

    it("refuse a tampered or expired link", async () => {
      const { url } = (await signedUrl(nurse, docId)).body;
      const issued = new URL(url).pathname.split("/").pop()!;
      const sealed = Buffer.from(issued.replace(/^v2\./, ""), "base64url");
      sealed[sealed.length >> 1] ^= 0x01;
      const bad = await download(`http://localhost/api/v1/files/v2.${sealed.toString("base64url")}`);
      expect(bad.status).toBe(403);
      expect(bad.body.error.code).toBe("signed_url_invalid");
      expect((await download(`http://localhost/api/v1/files/${issued.slice(0, -1)}`)).status).toBe(403);
      expect((await download("http://localhost/api/v1/files/..%2F..%2Fetc%2Fpasswd")).status).toBe(403);

      const objectKey = (await serviceQuery((tx) => tx.selectFrom("documents").select("object_key").where("id", "=", docId).executeTakeFirstOrThrow())).object_key;
      const { token } = signDownloadGrant({ documentId: docId, objectKey, session: nurse.session, expiresAt: Math.floor(Date.now() / 1000) - 1 });
      const expired = await download(`http://localhost/api/v1/files/${token}`);
      expect(expired.status).toBe(403);
      expect(expired.body.error.code).toBe("signed_url_expired");
    });

    it("stop working at once when access is revoked, though unexpired (replay after revocation)", async () => {
      const specialist = await createUser("provider");
      await addToCareTeam(patientId, specialist.id, "specialist");
      const { url } = (await signedUrl(specialist, docId)).body;
      expect((await download(url)).status).toBe(200);
      await removeFromCareTeam(patientId, specialist.id);
      const replay = await download(url);
      expect(replay.status).toBe(404);
      expect(replay.bytes).toBeUndefined();
    });

    it("stop working when the session they were issued to ends", async () => {
      const { url } = (await signedUrl(patientUser, docId)).body;
      const other = await createUser("patient");
      void other;
      expect((await download(url)).status).toBe(200);
      const fresh = await createUser("provider");
      await addToCareTeam(patientId, fresh.id, "nurse");
      const link = (await signedUrl(fresh, docId)).body.url;
      await revokeSession(fresh.session.sessionId, "logout");
      const after = await download(link);
      expect(after.status).toBe(403);
      expect(after.body.error.code).toBe("signed_url_revoked");
    });
  });

  describe("review and soft delete", () => {
    let docId: string;
    let key: string;
    beforeAll(async () => {
      const up = await upload(nurse, patientId, form({ bytes: pdfBytes(2000) }, { document_type: "consent" }));
      docId = up.body.id;
      key = (await serviceQuery((tx) => tx.selectFrom("documents").select("object_key").where("id", "=", docId).executeTakeFirstOrThrow())).object_key;
    });

    it("lets a provider on the team mark reviewed, not the patient, not outsiders", async () => {
      expect((await review(patientUser, docId)).status).toBe(403);
      expect((await review(outsider, docId)).status).toBe(404);
      const r = await review(nurse, docId);
      expect(r.status).toBe(200);
      expect(r.body.reviewed_by).toBe(nurse.id);
      expect(r.body.reviewed_at).not.toBeNull();
      expect((await review(attending, docId)).body.reviewed_by).toBe(nurse.id);
    });

    it("lets only an attending member delete, with a reason; the blob stays, links die", async () => {
      const { url } = (await signedUrl(patientUser, docId)).body;
      expect((await remove(outsider, docId, { reason: "wrong patient" })).status).toBe(404);
      expect((await remove(patientUser, docId, { reason: "wrong patient" })).status).toBe(403);
      expect((await remove(nurse, docId, { reason: "wrong patient" })).status).toBe(403);
      expect((await remove(attending, docId, {})).status).toBe(400);
      expect((await remove(attending, docId, { reason: "   " })).status).toBe(422);
      expect((await remove(attending, docId, { reason: "Uploaded to the wrong chart" })).status).toBe(204);
      expect((await remove(attending, docId, { reason: "again" })).status).toBe(404);

      const listed = await list(attending, patientId);
      expect(listed.body.data.map((d: { id: string }) => d.id)).not.toContain(docId);
      expect((await download(url)).status).toBe(404);
      const row = await serviceQuery((tx) => tx.selectFrom("documents").select(["deleted_by", "delete_reason"]).where("id", "=", docId).executeTakeFirstOrThrow());
      expect(row).toEqual({ deleted_by: attending.id, delete_reason: "Uploaded to the wrong chart" });
      expect(await s.keys()).toContain(key);
    });

    it("keeps deleted documents until the retention job purges rows, then blobs", async () => {
      const live = (await keysNow()).filter((k) => k !== key);
      expect(await purgeDeletedDocuments(1, s.store)).toBe(0); // deleted moments ago: within retention
      expect(await s.keys()).toContain(key);
      expect(await purgeDeletedDocuments(0, s.store)).toBe(1);
      await expectStored(live);
    });
  });

  it("answers an error, not corrupt bytes, for a tampered file (local driver)", async () => {
    if (!(s.store instanceof LocalObjectStore)) return;
    const bytes = pdfBytes(2_500_000); // three 1 MiB frames
    const up = await upload(attending, patientId, form({ bytes }));
    const key = (await serviceQuery((tx) => tx.selectFrom("documents").select("object_key").where("id", "=", up.body.id).executeTakeFirstOrThrow())).object_key;
    const file = s.store.pathOf(key);
    const original = await readFile(file);

    const early = Buffer.from(original);
    early[HEADER_BYTES + 100] ^= 0x01;
    await writeFile(file, early);
    const r1 = await download((await signedUrl(attending, up.body.id)).body.url);
    expect(r1.status).toBe(500);
    expect(r1.body.error.code).toBe("document_unreadable");

    const late = Buffer.from(original);
    late[late.length - 5000] ^= 0x01;
    await writeFile(file, late);
    const lateUrl = (await signedUrl(attending, up.body.id)).body.url as string;
    const res = await fileRoute(new Request(lateUrl), ctx({ token: new URL(lateUrl).pathname.split("/").pop()! }));
    expect(res.status).toBe(200); // headers went out with the first verified chunk...
    const received: Buffer[] = [];
    await expect(
      (async () => {
        for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) received.push(Buffer.from(c));
      })(),
    ).rejects.toThrow(); // ...and the body fails instead of carrying unverified bytes
    const got = Buffer.concat(received);
    expect(got.length).toBeLessThan(bytes.length);
    expect(got.equals(bytes.subarray(0, got.length))).toBe(true);
    await writeFile(file, original);
  });

  it("sweeps blobs that have no row and leaves the rest", async () => {
    const orphan = `${patientId}/${crypto.randomUUID()}`;
    await s.store.put(orphan, Readable.from([pdfBytes(5000)]));
    const keys = await keysNow();
    expect((await s.keys()).filter((k) => k.startsWith(patientId))).toContain(orphan);
    const report = await sweepOrphans({ store: s.store, minAgeMs: 0 });
    expect(report.removed).toContain(orphan);
    expect(report.missing).toEqual([]);
    await expectStored(keys);
  });
});
