import { describe, expect, it } from "vitest";
import { sniffContentType } from "@/core/storage/content-type";
import { acceptAttribute, allowedLabel, checkDocumentFile, formatBytes, sniffDocumentType } from "./document-files";

const PDF = Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "latin1");
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
const TEXT = Buffer.from("just some notes, not a document");
const limits = { maxBytes: 1024, allowedTypes: ["application/pdf", "image/jpeg", "image/png"] };

const file = (bytes: Buffer, name: string) => new File([new Uint8Array(bytes)], name);

describe("the browser's document checks", () => {
  it("decide the type by magic bytes exactly as the server does", () => {
    for (const b of [PDF, PNG, JPEG, TEXT, Buffer.alloc(0), Buffer.from("%PD"), Buffer.from([0x89, 0x50, 0x4e, 0x47])]) {
      expect(sniffDocumentType(new Uint8Array(b))).toBe(sniffContentType(b));
    }
  });

  it("accept PDF, JPEG and PNG by content", async () => {
    expect(await checkDocumentFile(file(PDF, "lab.pdf"), limits)).toEqual({ ok: true, type: "application/pdf" });
    expect(await checkDocumentFile(file(PNG, "scan.PNG"), limits)).toEqual({ ok: true, type: "image/png" });
    expect(await checkDocumentFile(file(JPEG, "photo"), limits)).toEqual({ ok: true, type: "image/jpeg" });
  });

  it("refuse empty, oversize, other content and a name that contradicts the content", async () => {
    expect(await checkDocumentFile(file(Buffer.alloc(0), "a.pdf"), limits)).toMatchObject({ ok: false, message: expect.stringMatching(/empty/) });
    expect(await checkDocumentFile(file(Buffer.concat([PDF, Buffer.alloc(2048)]), "big.pdf"), limits)).toMatchObject({
      ok: false,
      message: "This file is 2 KB; the limit for documents is 1 KB.",
    });
    expect(await checkDocumentFile(file(Buffer.concat([PDF, Buffer.alloc(1024 - PDF.length + 1)]), "big.pdf"), limits)).toMatchObject({
      ok: false,
      message: "This file is just over the 1 KB limit for documents.",
    });
    expect(await checkDocumentFile(file(TEXT, "notes.pdf"), limits)).toMatchObject({ ok: false, message: "Only PDF, JPEG or PNG files can be uploaded." });
    expect(await checkDocumentFile(file(PNG, "scan.pdf"), limits)).toMatchObject({ ok: false, message: expect.stringMatching(/content is PNG.*says PDF/) });
  });

  it("follow the server's configured list of types", async () => {
    const pdfOnly = { maxBytes: 1024, allowedTypes: ["application/pdf"] };
    expect(await checkDocumentFile(file(PNG, "scan.png"), pdfOnly)).toMatchObject({ ok: false, message: "Only PDF files can be uploaded." });
    expect(acceptAttribute(pdfOnly.allowedTypes)).toBe(".pdf,application/pdf");
    expect(allowedLabel(limits.allowedTypes)).toBe("PDF, JPEG or PNG");
  });

  it("format sizes for people", () => {
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(1536 * 1024)).toBe("1.5 MB");
    expect(formatBytes(10 * 1024 * 1024 + 1)).toBe("10 MB");
    expect(formatBytes(2048)).toBe("2 KB");
    expect(formatBytes(1)).toBe("1 byte");
  });
});
