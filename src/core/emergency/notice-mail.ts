import { mailConfig, type MailConfig } from "../mail/mail-config";
import { sealMailBody } from "../mail/seal-mail-body";

export interface EmergencyNotice {
  subject: string;
  bodySealed: string;
  status: "pending" | "held";
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The care team's notice of a break-the-glass access. Like every Carebase mail it names no
 * patient, provider or reason (mail leaves the clinic's control): it says that an emergency
 * access was opened on a chart of theirs and links to the portal, where the chart's banner
 * and the realtime event name the rest. One sealed body for every member of the team.
 */
export function renderEmergencyNotice(config: MailConfig = mailConfig()): EmergencyNotice {
  const subject = `Emergency access opened at ${config.clinicName}`;
  const lines = [
    `A clinician outside the care team has opened emergency ("break-the-glass") access to the chart of one of your patients at ${config.clinicName}.`,
    "The access is read-only, limited in time and reviewed by the clinic's administrators. Sign in to see which chart and the reason given.",
  ];
  const url = `${config.publicUrl}/patients`;
  const footer = "You receive this because you are on the patient's care team.";
  const text = [...lines, "", `Open Carebase: ${url}`, "", footer].join("\n");
  const html = `<!doctype html><html><body>${lines.map((l) => `<p>${escape(l)}</p>`).join("")}<p><a href="${escape(url)}">Open Carebase</a></p><p><small>${escape(footer)}</small></p></body></html>`;
  return { subject, bodySealed: sealMailBody({ text, html }), status: config.smtpUrl ? "pending" : "held" };
}
