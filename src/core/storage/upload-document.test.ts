import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { engines, installTestDatabase, type TestDatabase } from "../../../tests/support/db";
import { createPatient, createUser, type TestUser } from "../../../tests/support/seed";
import { POST as uploadRoute } from "@/app/api/v1/patients/[id]/documents/route";
import { log } from "../log";
import { useObjectStore } from "./index";
import { LocalObjectStore } from "./local-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore } from "./s3-store";
import { uploadDocument } from "./upload-document";

/**
 * An upload the store cannot take is the store's failure, not the client's: 507 when it is
 * full, 503 with Retry-After otherwise, and a log line naming the cause. A client that breaks
 * its body off is still 400 upload_interrupted, and nothing is blamed on the store.
 */

const PDF = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(300_000, "stream data endstream\n")]);

function errno(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall}`), { code, syscall });
}

/** A store whose writes fail: after reading `readFirst` bytes of the upload, with `error`. */
function failingStore(error: Error, readFirst = 0): ObjectStore {
  return {
    kind: "local",
    async put(_key, source) {
      let seen = 0;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen >= readFirst) break;
      }
      throw error;
    },
    get: () => Promise.reject(new Error("unused")),
    delete: () => Promise.resolve(),
    list: async function* () {},
    removeIncomplete: () => Promise.resolve(0),
  };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.each(engines)("uploads the store refuses (%s)", (engine) => {
  let t: TestDatabase;
  let provider: TestUser;
  let patientId: string;
  let dir: string;

  beforeAll(async () => {
    t = await installTestDatabase(engine);
    provider = await createUser("provider");
    patientId = await createPatient({ createdBy: provider.id });
    dir = await mkdtemp(path.join(os.tmpdir(), "carebase-upload-fail-"));
  });
  afterEach(() => {
    useObjectStore(undefined);
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t?.drop();
  });

  async function upload() {
    const fd = new FormData();
    fd.set("document_type", "lab_result");
    fd.set("description", "CBC panel");
    fd.set("file", new Blob([new Uint8Array(PDF)], { type: "application/pdf" }), "result.pdf");
    const req = new Request(`http://localhost/api/v1/patients/${patientId}/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${provider.accessToken}`, "x-request-id": "upload-fail-0001" },
      body: fd,
    });
    const res = await uploadRoute(req, { params: Promise.resolve({ id: patientId }) });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { error?: { code: string } } };
  }

  function storeFailureLogs(spy: ReturnType<typeof vi.spyOn>) {
    return spy.mock.calls.filter((c: unknown[]) => c[1] === "document store write failed").map((c: unknown[]) => c[0] as Record<string, unknown>);
  }

  it("a full disk (ENOSPC mid-write) → 507 insufficient_storage, logged with its cause", async () => {
    useObjectStore(failingStore(errno("ENOSPC", "write"), 64 * 1024));
    const spy = vi.spyOn(log, "error");
    const res = await upload();
    expect(res.status).toBe(507);
    expect(res.body.error?.code).toBe("insufficient_storage");
    const [line] = storeFailureLogs(spy);
    expect(line).toMatchObject({ requestId: "upload-fail-0001", patientId, cause: { code: "ENOSPC", syscall: "write" } });
  });

  it("a read-only disk (EROFS) → 503 storage_unavailable with Retry-After, logged", async () => {
    useObjectStore(failingStore(errno("EROFS", "open")));
    const spy = vi.spyOn(log, "error");
    const res = await upload();
    expect(res).toMatchObject({ status: 503, retryAfter: "30", body: { error: { code: "storage_unavailable" } } });
    expect(storeFailureLogs(spy)[0]).toMatchObject({ cause: { code: "EROFS" } });
  });

  it("a local store whose directory cannot be created (a file in its way) → 503, logged", async () => {
    const blocked = path.join(dir, "objects-is-a-file");
    await writeFile(blocked, "not a directory");
    useObjectStore(new LocalObjectStore(path.join(blocked, "objects")));
    const spy = vi.spyOn(log, "error");
    const res = await upload();
    expect(res.status).toBe(503);
    expect(storeFailureLogs(spy)[0]).toMatchObject({ store: "local", cause: { code: "ENOTDIR" } });
  });

  it("an S3 store that is not there → 503, logged", async () => {
    const store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      bucket: "carebase-test",
      region: "us-east-1",
      accessKeyId: "x",
      secretAccessKey: "y",
      forcePathStyle: true,
    });
    useObjectStore(store);
    const spy = vi.spyOn(log, "error");
    try {
      const res = await upload();
      expect(res.status).toBe(503);
      expect(storeFailureLogs(spy)[0]).toMatchObject({ store: "s3" });
    } finally {
      store.client.destroy();
    }
  }, 30_000);

  it("a body the client breaks off is still 400 upload_interrupted, and not blamed on the store", async () => {
    const boundary = "----carebase-test-boundary";
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="document_type"\r\n\r\nlab_result\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="result.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const body = new Readable({ read() {} });
    body.push(head);
    body.push(PDF.subarray(0, 100_000));
    setTimeout(() => body.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })), 50);
    const dirStore = new LocalObjectStore(path.join(dir, "objects-ok"));
    const spy = vi.spyOn(log, "error");
    const failure = await uploadDocument(
      provider.session,
      patientId,
      { contentType: `multipart/form-data; boundary=${boundary}`, contentLength: null, body },
      { requestId: "upload-fail-0002" },
      { store: dirStore },
    ).catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 400, code: "upload_interrupted" });
    expect(storeFailureLogs(spy)).toEqual([]);
  });
});
