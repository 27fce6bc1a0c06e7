import { describe, expect, it } from "vitest";
import { assertAcceptablePassword, passwordProblem } from "./password-policy";

describe("password policy (NIST 800-63B)", () => {
  it("accepts a long passphrase without composition rules", () => {
    expect(passwordProblem("purple lantern over quiet hills", "ana@example.test")).toBeNull();
  });
  it("refuses fewer than 12 characters", () => {
    expect(passwordProblem("short pass1")).toMatch(/12 characters/);
  });
  it("refuses the most common passwords, whatever their case", () => {
    expect(passwordProblem("qwerty123456")).toMatch(/most common/);
    expect(passwordProblem("LeaveMeAlone")).toMatch(/most common/);
  });
  it("refuses passwords containing the email's local part", () => {
    expect(passwordProblem("my-name-is-jsmith-ok", "jsmith@clinic.test")).toMatch(/email/);
  });
  it("throws a 422 with the field", () => {
    expect(() => assertAcceptablePassword("tiny", "a@b.c")).toThrowError(expect.objectContaining({ status: 422, code: "weak_password" }));
  });
});
