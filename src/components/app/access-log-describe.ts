/**
 * Words for the "who accessed my record" report (GET /api/v1/patients/{id}/access-log):
 * who (a name and a role, never an id), what they did, to which kind of record. Shared by
 * the patient's own view ("your chart") and an admin's view of a chart ("the chart").
 */
export type AccessAudience = "patient" | "staff";

export interface AccessEntryView {
  actor: { name: string; role: string };
  activity: string;
  record_kind: string | null;
}

const KIND: Record<string, [patient: string, staff: string]> = {
  patient_list: ["a patient list that included you", "a patient list that included this patient"],
  patient_chart: ["your chart", "the chart"],
  patients: ["your personal details", "the patient's details"],
  visits: ["your visit records", "visit records"],
  prescriptions: ["your prescriptions", "prescriptions"],
  prescription_pdf: ["a printable prescription", "a printable prescription"],
  documents: ["your documents", "documents"],
  document_download: ["one of your documents (downloaded)", "a document (downloaded)"],
  signed_url: ["a download link to one of your documents", "a document download link"],
  appointments: ["your appointments", "appointments"],
  care_team: ["your care team", "the care team"],
  messages: ["care team messages about you", "care team messages"],
  care_messages: ["care team messages about you", "care team messages"],
  vitals: ["your vital signs", "vital signs"],
  devices: ["your wearable devices", "wearable devices"],
  invites: ["your portal invitation", "the portal invitation"],
  export: ["an export of your record", "an export of the record"],
  access_log: ["this access report", "this access report"],
  audit_trail: ["audit records about you", "audit records about this patient"],
};

const VERB: Record<string, string> = { viewed: "Viewed", created: "Added", changed: "Changed", deleted: "Deleted" };

const INVITE_CREATED: [string, string] = ["Created a portal invitation for you", "Created a portal invitation"];
const INVITE_REDEEMED: [string, string] = ["Accepted the portal invitation", "Accepted the portal invitation"];
const INVITE_REJECTED: [string, string] = ["Tried an invitation that could not be used", "Tried an invitation that could not be used"];

/** Account events that concern a patient (both spellings the trail uses: auth.* and the event writer's). */
const EVENT: Record<string, [patient: string, staff: string]> = {
  "auth.invite_created": INVITE_CREATED,
  "invite.created": INVITE_CREATED,
  "auth.invite_redeemed": INVITE_REDEEMED,
  "invite.redeemed": INVITE_REDEEMED,
  "auth.invite_rejected": INVITE_REJECTED,
  "invite.rejected": INVITE_REJECTED,
  "auth.sign_up": ["Created your portal account", "Created the patient's portal account"],
  "auth.sign_up_duplicate": [
    "Tried to create your portal account with an email that already has an account",
    "Tried to create the patient's portal account with an email that already has an account",
  ],
  "care_team.changed": ["Changed your care team", "Changed the care team"],
  "prescription.allergy_override": [
    "Prescribed a medication that matches one of your allergies, and recorded why",
    "Prescribed despite a recorded allergy (reason recorded)",
  ],
  "prescription.status_changed": ["Changed the status of one of your prescriptions", "Changed a prescription's status"],
};

const ROLE: Record<string, string> = {
  provider: "Provider",
  admin: "Administrator",
  patient: "Patient",
  device: "Wearable device",
  system: "Automatic",
  service_role: "Automatic",
};

function humanize(s: string): string {
  const t = s.replace(/^[a-z_]+\./, "").replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** "Viewed your chart", "Changed the care team", … */
export function describeAccess(e: AccessEntryView, audience: AccessAudience): string {
  const i = audience === "patient" ? 0 : 1;
  const event = EVENT[e.activity];
  if (event) return event[i];
  const verb = VERB[e.activity] ?? humanize(e.activity);
  // Other account events name their own subject; their table (auth.users) says nothing more.
  if (!e.record_kind || !VERB[e.activity]) return verb;
  const kind = KIND[e.record_kind]?.[i] ?? e.record_kind.replace(/_/g, " ");
  return `${verb} ${kind}`;
}

/** Who, in words: "You" for the patient's own actions in their own report. */
export function describeActor(e: AccessEntryView, audience: AccessAudience): { name: string; role: string } {
  if (audience === "patient" && e.actor.role === "patient") return { name: "You", role: "Patient" };
  return { name: e.actor.name, role: ROLE[e.actor.role] ?? humanize(e.actor.role) };
}
