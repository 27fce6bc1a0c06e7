import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, normaliseRecoveryCode } from "./mfa";

describe("TOTP secret at rest", () => {
  it("round-trips through AES-256-GCM with a fresh IV each time", () => {
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const a = encryptSecret(secret);
    const b = encryptSecret(secret);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(decryptSecret(a)).toBe(secret);
  });

  it("refuses a tampered ciphertext", () => {
    const stored = encryptSecret("JBSWY3DPEHPK3PXP");
    const raw = Buffer.from(stored.slice(3), "base64url");
    raw[raw.length - 1] ^= 1;
    expect(() => decryptSecret(`v1.${raw.toString("base64url")}`)).toThrow();
  });

  it("normalises recovery codes typed with spaces, dashes or lower case", () => {
    expect(normaliseRecoveryCode(" k7qx-m2pa 9rtw ")).toBe("K7QXM2PA9RTW");
  });
});
