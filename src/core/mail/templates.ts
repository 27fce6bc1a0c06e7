import type { MailConfig } from "./mail-config";

/**
 * Every mail Carebase sends. Be careful here: mail leaves the clinic's control (other
 * servers, shared inboxes, phone lock screens), so a template carries the clinic's name
 * and a link to the portal, and nothing else: no names, no diagnoses, allergies,
 * medications or appointment details. templates.test.ts checks every template against a
 * PHI-rich fixture. A template's parameters are only what it needs to build its link.
 */
export type MailKind =
  | "password_reset"
  | "password_changed"
  | "mfa_enabled"
  | "mfa_reset"
  | "sign_up_duplicate"
  | "verify_email"
  | "staff_invite"
  | "patient_invite"
  | "emergency_access"
  | NoticeKind;

/** Notices that are not about security: a patient can turn them off (account page). */
export type NoticeKind = "appointment_booked" | "appointment_changed" | "appointment_cancelled" | "appointment_reminder" | "document_added";
export const NOTICE_KINDS: readonly NoticeKind[] = ["appointment_booked", "appointment_changed", "appointment_cancelled", "appointment_reminder", "document_added"];

type NoParams = Record<string, never>;
export interface MailParams {
  password_reset: { token: string };
  password_changed: NoParams;
  mfa_enabled: NoParams;
  mfa_reset: NoParams;
  sign_up_duplicate: NoParams;
  verify_email: { token: string };
  staff_invite: { token: string };
  patient_invite: { code: string };
  emergency_access: NoParams;
  appointment_booked: NoParams;
  appointment_changed: NoParams;
  appointment_cancelled: NoParams;
  appointment_reminder: NoParams;
  document_added: NoParams;
}

export const MAIL_KINDS: readonly MailKind[] = [
  "password_reset",
  "password_changed",
  "mfa_enabled",
  "mfa_reset",
  "sign_up_duplicate",
  "verify_email",
  "staff_invite",
  "patient_invite",
  "emergency_access",
  ...NOTICE_KINDS,
];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The reset link: the token rides in the fragment, which browsers never send to a server. */
export function resetLink(config: MailConfig, token: string): string {
  return `${config.publicUrl}/reset-password#token=${encodeURIComponent(token)}`;
}

/** Email verification: the token rides in the fragment, like the reset link's. */
export function verifyEmailLink(config: MailConfig, token: string): string {
  return `${config.publicUrl}/verify-email#token=${encodeURIComponent(token)}`;
}

/** A staff invitation: the invitee chooses a password on this page. */
export function staffInviteLink(config: MailConfig, token: string): string {
  return `${config.publicUrl}/accept-invite#token=${encodeURIComponent(token)}`;
}

/** A patient invitation: the sign-up page reads the code from the fragment. */
export function patientInviteLink(config: MailConfig, code: string): string {
  return `${config.publicUrl}/sign-up#invite_code=${encodeURIComponent(code)}`;
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
    case "verify_email":
      return {
        subject: `Confirm your email address for ${c.clinicName}`,
        lines: [
          `You signed up for the ${c.clinicName} portal. Confirm that this address is yours, so the clinic can reach you.`,
          "The link below works once, for 48 hours.",
        ],
        link: { label: "Confirm your address", url: verifyEmailLink(c, (params as MailParams["verify_email"]).token) },
        footer: "If you did not sign up, ignore this mail.",
      };
    case "staff_invite":
      return {
        subject: `You are invited to the ${c.clinicName} portal`,
        lines: [
          `An administrator at ${c.clinicName} created a portal account for you.`,
          "Choose your password with the link below. It works once, for 72 hours; the clinic can send a new one.",
        ],
        link: { label: "Choose your password", url: staffInviteLink(c, (params as MailParams["staff_invite"]).token) },
        footer: "If you did not expect this, ignore this mail.",
      };
    case "patient_invite":
      return {
        subject: `Your invitation to the ${c.clinicName} patient portal`,
        lines: [
          `Your care team at ${c.clinicName} invites you to the patient portal.`,
          "Create your account with the link below; you will be asked for your date of birth. The invitation works once and expires.",
        ],
        link: { label: "Create your account", url: patientInviteLink(c, (params as MailParams["patient_invite"]).code) },
        footer: "If you did not expect this, ignore this mail.",
      };
    case "emergency_access":
      return {
        subject: `Emergency access opened at ${c.clinicName}`,
        lines: [
          `A clinician outside the care team has opened emergency ("break-the-glass") access to the chart of one of your patients at ${c.clinicName}.`,
          "The access is read-only, limited in time and reviewed by the clinic's administrators. Sign in to see which chart and the reason given.",
        ],
        link: { label: "Open Carebase", url: `${c.publicUrl}/patients` },
        footer: "You receive this because you are on the patient's care team.",
      };
    case "appointment_booked":
    case "appointment_changed":
    case "appointment_cancelled":
    case "appointment_reminder":
    case "document_added":
      return notice(kind as NoticeKind, c);
    default:
      throw new Error(`No mail template for ${String(kind)}.`);
  }
}

/** What a notice says: that something changed, never what (sign in to see). [subject, first line] */
const NOTICE_TEXT: Record<NoticeKind, (clinic: string) => [string, string]> = {
  appointment_booked: (n) => [`An appointment was booked at ${n}`, `An appointment with ${n} was booked for you.`],
  appointment_changed: (n) => [`An appointment was changed at ${n}`, `One of your appointments with ${n} was changed.`],
  appointment_cancelled: (n) => [`An appointment was cancelled at ${n}`, `One of your appointments with ${n} was cancelled.`],
  appointment_reminder: (n) => [`Appointment reminder from ${n}`, `You have an appointment with ${n} within the next day.`],
  document_added: (n) => [`A new document from ${n}`, `A new document was added to your ${n} patient portal.`],
};

function notice(kind: NoticeKind, c: MailConfig): Body {
  const [subject, line] = NOTICE_TEXT[kind](c.clinicName);
  // A reminder does not say which appointment, nor whether it is a video visit (docs/telehealth.md):
  // its link opens My records, where a video visit's "Join video visit" button appears 15 minutes before.
  if (kind === "appointment_reminder") {
    return {
      subject,
      lines: [line, "Sign in to the portal to see the details.", "If it is a video visit, join it from My records when it is time: the “Join video visit” button appears 15 minutes before the start."],
      link: { label: "Open My records", url: `${c.publicUrl}/my-records` },
      footer: `You can turn these notices off on your account page (${c.publicUrl}/account). Notices about your account's security always come.`,
    };
  }
  return {
    subject,
    lines: [line, "Sign in to the portal to see the details."],
    link: { label: "Sign in", url: `${c.publicUrl}/sign-in` },
    footer: `You can turn these notices off on your account page (${c.publicUrl}/account). Notices about your account's security always come.`,
  };
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
