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
  it("drops bidirectional-text controls (with U+202E, \"scan<U+202E>fdp.exe\" displays as \"scanexe.pdf\")", () => {
    const controls = ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"];
    for (const c of controls) expect(sanitiseFileName(`Lab${c} result.pdf`, "application/pdf")).toBe("Lab result.pdf");
    expect(sanitiseFileName("invoice\u202Efdp.exe", "application/pdf")).toBe("invoicefdp.exe.pdf");
    expect(sanitiseFileName("\u2067\u202E", "application/pdf")).toBe("document.pdf");
    expect(sanitiseFileName("تقرير.pdf", "application/pdf")).toBe("تقرير.pdf"); // right-to-left letters themselves stay
    expect(attachmentDisposition("old\u202Efdp.exe.pdf")).toBe(attachmentDisposition("oldfdp.exe.pdf"));
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
  it("is opaque: nothing of the document, object, user or session can be read from it", () => {
    const objectKey = "55555555-5555-4555-8555-555555555555/66666666-6666-4666-8666-666666666666";
    const { token, nonce } = signDownloadGrant({ ...grant, objectKey });
    expect(token).toMatch(/^v2\.[A-Za-z0-9_-]+$/);
    const decoded = Buffer.from(token.slice(3), "base64url");
    for (const secret of [grant.documentId, objectKey, session.userId, session.sessionId, nonce, "patient", "aal1", String(grant.expiresAt)]) {
      expect(token).not.toContain(secret);
      expect(decoded.includes(Buffer.from(secret))).toBe(false);
    }
    // the same grant twice gives two unrelated tokens
    expect(signDownloadGrant(grant).token).not.toBe(signDownloadGrant(grant).token);
  });
  it("rejects any altered byte, a truncated or extended token, garbage, and an expired token", () => {
    const { token } = signDownloadGrant(grant);
    const sealed = Buffer.from(token.slice(3), "base64url");
    for (const at of [0, 11, 12, 40, sealed.length - 17, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at] ^= 0x01;
      expect(() => verifyDownloadToken(`v2.${altered.toString("base64url")}`)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    }
    expect(() => verifyDownloadToken(token.slice(0, -4))).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken(`${token}AAAA`)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken(`v1.${token.slice(3)}`)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken("garbage")).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    expect(() => verifyDownloadToken("")).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
    const old = signDownloadGrant({ ...grant, expiresAt: Math.floor(Date.now() / 1000) - 1 }).token;
    expect(() => verifyDownloadToken(old)).toThrow(expect.objectContaining({ code: "signed_url_expired" }));
  });
  it("refuses the former readable format (base64 JSON with an HMAC)", () => {
    const v1 = `${Buffer.from(JSON.stringify([1, grant.documentId, grant.objectKey, session.userId, session.role, session.sessionId, session.aal, grant.expiresAt, "n"])).toString("base64url")}.${"A".repeat(43)}`;
    expect(() => verifyDownloadToken(v1)).toThrow(expect.objectContaining({ code: "signed_url_invalid" }));
  });
});
