import { mailConfig, type MailConfig } from "../mail/mail-config";
import { sealMailBody } from "../mail/seal-mail-body";
import { renderMail } from "../mail/templates";

export interface EmergencyNotice {
  subject: string;
  bodySealed: string;
  status: "pending" | "held";
}

/**
 * The care team's notice of a break-the-glass access (the `emergency_access` template). Like
 * every Carebase mail it names no patient, provider or reason (mail leaves the clinic's
 * control): it says that an emergency access was opened on a chart of theirs and links to the
 * portal, where the chart's banner and the realtime event name the rest. One sealed body for
 * every member of the team.
 */
export function renderEmergencyNotice(config: MailConfig = mailConfig()): EmergencyNotice {
  const { subject, text, html } = renderMail("emergency_access", {}, config);
  return { subject, bodySealed: sealMailBody({ text, html }), status: config.smtpUrl ? "pending" : "held" };
}
