import type { MailConfig } from "./mail-config";

/**
 * Every mail Carebase sends. Be careful here: mail leaves the clinic's control (other
 * servers, shared inboxes, phone lock screens), so a template carries the clinic's name
 * and a link to the portal, and nothing else: no names, no diagnoses, allergies,
 * medications or appointment details. templates.test.ts checks every template against a
 * PHI-rich fixture. A template's parameters are only what it needs to build its link.
 */
export type MailKind = "password_reset" | "password_changed" | "mfa_enabled" | "mfa_reset" | "sign_up_duplicate";

export interface MailParams {
  password_reset: { token: string };
  password_changed: Record<string, never>;
  mfa_enabled: Record<string, never>;
  mfa_reset: Record<string, never>;
  sign_up_duplicate: Record<string, never>;
}

export const MAIL_KINDS: readonly MailKind[] = ["password_reset", "password_changed", "mfa_enabled", "mfa_reset", "sign_up_duplicate"];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The reset link: the token rides in the fragment, which browsers never send to a server. */
export function resetLink(config: MailConfig, token: string): string {
  return `${config.publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
}

interface Body {
  subject: string;
  lines: string[];
  link: { label: string; url: string };
  footer: string;
}

const NOT_YOU = "If this was not you, reset your password now and tell the clinic.";

function body<K extends MailKind>(kind: K, params: MailParams[K], c: MailConfig): Body {
  const forgot = `${c.publicUrl}/forgot-password`;
  switch (kind) {
    case "password_reset":
      return {
        subject: `Reset your ${c.clinicName} password`,
        lines: [
          `Someone asked to reset the password of your ${c.clinicName} portal account.`,
          "The link below works once, for 30 minutes.",
        ],
        link: { label: "Choose a new password", url: resetLink(c, (params as MailParams["password_reset"]).token) },
        footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
      };
    case "password_changed":
      return {
        subject: `Your ${c.clinicName} password was changed`,
        lines: [`The password of your ${c.clinicName} portal account was just changed, and every other session was signed out.`],
        link: { label: "Reset your password", url: forgot },
        footer: NOT_YOU,
      };
    case "mfa_enabled":
      return {
        subject: `Two-factor sign-in turned on at ${c.clinicName}`,
        lines: [`Two-factor sign-in was just turned on for your ${c.clinicName} portal account.`],
        link: { label: "Reset your password", url: forgot },
        footer: NOT_YOU,
      };
    case "mfa_reset":
      return {
        subject: `Two-factor sign-in reset at ${c.clinicName}`,
        lines: [
          `An administrator at ${c.clinicName} reset two-factor sign-in for your portal account, and every session was signed out.`,
          "Sign in with your password and set up two-factor sign-in again.",
        ],
        link: { label: "Sign in", url: `${c.publicUrl}/sign-in` },
        footer: "If you did not ask the clinic for this, tell them.",
      };
    case "sign_up_duplicate":
      return {
        subject: `Someone tried to register your address at ${c.clinicName}`,
        lines: [
          `Someone tried to create a ${c.clinicName} portal account with this address, which already has one. Nothing was changed.`,
          "If it was you, sign in instead, or reset your password if you forgot it.",
        ],
        link: { label: "Reset your password", url: forgot },
        footer: "If it was not you, you need not do anything.",
      };
    default:
      throw new Error(`No mail template for ${String(kind)}.`);
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export function renderMail<K extends MailKind>(kind: K, params: MailParams[K], config: MailConfig): RenderedMail {
  const b = body(kind, params, config);
  const text = [...b.lines, "", `${b.link.label}: ${b.link.url}`, "", b.footer, "", `— ${config.clinicName}`].join("\n");
  const html = [
    "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">",
    ...b.lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    `<p><a href="${escapeHtml(b.link.url)}">${escapeHtml(b.link.label)}</a></p>`,
    `<p>${escapeHtml(b.footer)}</p>`,
    `<p>— ${escapeHtml(config.clinicName)}</p>`,
    "</body></html>",
  ].join("\n");
  return { subject: b.subject, text, html };
}
