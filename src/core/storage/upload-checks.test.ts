import { describe, expect, it } from "vitest";
import { declaredType, sniffContentType, typeOfExtension } from "./content-type";
import { assertPlainFileName, attachmentDisposition, sanitiseFileName } from "./file-name";
import { signDownloadGrant, verifyDownloadToken } from "./signed-url-token";

describe("content sniffing", () => {
  it("recognises PDF, PNG and JPEG by their first bytes only", () => {
    expect(sniffContentType(Buffer.from("%PDF-1.7\n"))).toBe("application/pdf");
    expect(sniffContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe("image/png");
    expect(sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffContentType(Buffer.from("<html><script>"))).toBeUndefined();
    expect(sniffContentType(Buffer.from("MZ\x90\x00"))).toBeUndefined();
    expect(sniffContentType(Buffer.from("%PD"))).toBeUndefined();
  });
  it("reads declarations", () => {
    expect(declaredType("application/octet-stream")).toBeNull();
    expect(declaredType("image/jpg")).toBe("image/jpeg");
    expect(declaredType("text/html")).toBe("other");
    expect(typeOfExtension("scan.JPEG")).toBe("image/jpeg");
    expect(typeOfExtension("notes.txt")).toBeUndefined();
  });
});

describe("file names", () => {
  it.each(["../../x.pdf", "..\\..\\x.pdf", "/etc/passwd", "a/b.pdf", "..", "x\u0000.pdf", "x\n.pdf"])("refuses the path-like name %j", (n) => {
    expect(() => assertPlainFileName(n)).toThrow(/plain name/);
  });
  it("cleans names and makes the extension match the content", () => {
    expect(sanitiseFileName("Lab result (March).pdf", "application/pdf")).toBe("Lab result (March).pdf");
    expect(sanitiseFileName('a"b<c>.pdf', "application/pdf")).toBe("a_b_c_.pdf");
    expect(sanitiseFileName("scan", "image/png")).toBe("scan.png");
    expect(sanitiseFileName("evil.html", "image/png")).toBe("evil.html.png");
    expect(sanitiseFileName("...", "image/jpeg")).toBe("document.jpg");
    expect(sanitiseFileName("x".repeat(500) + ".pdf", "application/pdf")).toHaveLength(200);
  });
  it("writes a header-safe Content-Disposition", () => {
    expect(attachmentDisposition("Résultat.pdf")).toBe(`attachment; filename="R_sultat.pdf"; filename*=UTF-8''R%C3%A9sultat.pdf`);
  });
});

describe("signed-URL tokens", () => {
  const session = { userId: "11111111-1111-4111-8111-111111111111", role: "patient" as const, sessionId: "22222222-2222-4222-8222-222222222222", aal: "aal1" as const };
  const grant = { documentId: "33333333-3333-4333-8333-333333333333", objectKey: "a/b", session, expiresAt: Math.floor(Date.now() / 1000) + 60 };
  it("verifies what it signed", () => {
    const { token, nonce } = signDownloadGrant(grant);
    expect(verifyDownloadToken(token)).toMatchObject({ documentId: grant.documentId, session, nonce });
  });
  it("rejects an altered payload or signature, and an expired token", () => {
    const { token } = signDownloadGrant(grant);
    const [payload, sig] = token.split(".");
    const forged = Buffer.from(Buffer.from(payload, "base64url").toString().replace(session.userId, "44444444-4444-4444-8444-444444444444")).toString("base64url");
    expect(() => verifyDownloadToken(`${forged}.${sig}`)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken(`${payload}.${sig.slice(0, -2)}AA`)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken("garbage")).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    const old = signDownloadGrant({ ...grant, expiresAt: Math.floor(Date.now() / 1000) - 1 }).token;
    expect(() => verifyDownloadToken(old)).toThrow(expect.objectContaining({ code: "signed_url_expired" }));
  });
});
