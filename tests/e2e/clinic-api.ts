import * as OTPAuth from "otpauth";
import type { BrowserContext } from "playwright-core";

/**
 * A clinic set up through the JSON API (no browser), for e2e files that test one page:
 * the first admin with MFA on (aal2 token), verified providers, patients. Sign-ins for the
 * browser go through /api/v1/auth/session, like the sign-in page.
 */
export const E2E_PASSWORD = "sturdy orange kettle lamp";

export class ClinicApi {
  adminToken = "";
  adminRecoveryCodes: string[] = [];
  constructor(readonly url: string) {}

  async post<T = Record<string, unknown>>(path: string, body: unknown, token?: string): Promise<T> {
    const r = await fetch(this.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${path} -> ${r.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  async token(email: string): Promise<string> {
    return (await this.post<{ access_token: string }>("/api/v1/auth/token", { email, password: E2E_PASSWORD })).access_token;
  }

  /** The first admin, enrolled in MFA and verified: an aal2 token for admin endpoints. */
  async setUpAdmin(email: string, fullName = "Ada Admin"): Promise<void> {
    await this.post("/api/v1/setup", { email, password: E2E_PASSWORD, full_name: fullName });
    const aal1 = await this.token(email);
    const enrol = await this.post<{ secret: string; recovery_codes: string[] }>("/api/v1/auth/mfa/enroll", {}, aal1);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrol.secret), digits: 6, period: 30, algorithm: "SHA1" });
    this.adminToken = (await this.post<{ access_token: string }>("/api/v1/auth/mfa/verify", { code: totp.generate() }, aal1)).access_token;
    this.adminRecoveryCodes = enrol.recovery_codes;
  }

  /** A provider who signed up; verified by the admin unless `verified` is false. */
  async provider(email: string, fullName: string, opts: { verified?: boolean; credential?: string } = {}): Promise<string> {
    const { user } = await this.post<{ user: { id: string } }>("/api/v1/auth/signup", {
      email, password: E2E_PASSWORD, full_name: fullName, role: "provider", credential: opts.credential ?? "physician", license_number: `LIC-${email.split("@")[0]}`, specialty: "Family medicine",
    });
    if (opts.verified !== false) await this.post(`/api/v1/admin/providers/${user.id}/verify`, {}, this.adminToken);
    return user.id;
  }

  /** Turns on TOTP for an account (enrol, then verify with a fresh code); returns its recovery codes. */
  async enableMfa(email: string): Promise<string[]> {
    const aal1 = await this.token(email);
    const enrol = await this.post<{ secret: string; recovery_codes: string[] }>("/api/v1/auth/mfa/enroll", {}, aal1);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrol.secret), digits: 6, period: 30, algorithm: "SHA1" });
    await this.post("/api/v1/auth/mfa/verify", { code: totp.generate() }, aal1);
    return enrol.recovery_codes;
  }

  /** The browser's cookie session (`extra`: a recovery code for an account with MFA), as `Cookie` header text. */
  async cookieHeader(email: string, extra: Record<string, string> = {}): Promise<string> {
    const r = await fetch(this.url + "/api/v1/auth/session", {
      method: "POST",
      headers: { "content-type": "application/json", origin: this.url },
      body: JSON.stringify({ email, password: E2E_PASSWORD, ...extra }),
    });
    if (r.status !== 200) throw new Error(`cookie sign-in as ${email}: ${r.status} ${await r.text()}`);
    return r.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  }

  /** Signs a browser context in as `email` (the same cookies the sign-in page sets). */
  async signInContext(ctx: BrowserContext, email: string, extra: Record<string, string> = {}): Promise<void> {
    const header = await this.cookieHeader(email, extra);
    await ctx.addCookies(
      header.split("; ").map((pair) => {
        const i = pair.indexOf("=");
        return { name: pair.slice(0, i), value: pair.slice(i + 1), url: this.url };
      }),
    );
  }
}
