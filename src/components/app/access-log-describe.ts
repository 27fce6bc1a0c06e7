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
  /** "fhir" when the read came through the FHIR API (an outside app or a download of the record). */
  via?: string | null;
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
  patient_shares: ["the parts of your record you shared (sharing link)", "the parts of the record the patient shared"],
  emergency_access_grants: ["emergency access to your chart", "emergency access to the chart"],
};

const VERB: Record<string, string> = { viewed: "Viewed", created: "Added", changed: "Changed", deleted: "Deleted" };

/**
 * Writes, in plain sentences: one record added, updated or removed ("Added a visit to your
 * record", "Removed someone from your care team"), not "Added your visit records".
 */
const WRITE: Record<string, Partial<Record<"created" | "changed" | "deleted", [patient: string, staff: string]>>> = {
  patients: { created: ["Registered you as a patient", "Registered the patient"], changed: ["Updated your personal details", "Updated the patient's details"], deleted: ["Removed your patient record", "Removed the patient record"] },
  care_team: {
    created: ["Added someone to your care team", "Added someone to the care team"],
    changed: ["Changed a role on your care team", "Changed a role on the care team"],
    deleted: ["Removed someone from your care team", "Removed someone from the care team"],
  },
  visits: { created: ["Added a visit to your record", "Added a visit"], changed: ["Updated one of your visits", "Updated a visit"], deleted: ["Removed one of your visits", "Removed a visit"] },
  prescriptions: { created: ["Prescribed you a medication", "Added a prescription"], changed: ["Updated one of your prescriptions", "Updated a prescription"], deleted: ["Removed one of your prescriptions", "Removed a prescription"] },
  documents: { created: ["Added a document to your record", "Added a document"], changed: ["Updated one of your documents", "Updated a document"], deleted: ["Removed one of your documents", "Removed a document"] },
  appointments: { created: ["Booked an appointment for you", "Booked an appointment"], changed: ["Changed one of your appointments", "Changed an appointment"], deleted: ["Removed one of your appointments", "Removed an appointment"] },
  care_messages: { created: ["Wrote a care team message about you", "Wrote a care team message"], changed: ["Edited a care team message about you", "Edited a care team message"], deleted: ["Removed a care team message about you", "Removed a care team message"] },
  vitals: { created: ["Recorded your vital signs", "Recorded vital signs"], deleted: ["Removed some of your vital signs", "Removed vital signs"] },
  devices: { created: ["Registered a wearable device for you", "Registered a wearable device"], changed: ["Updated one of your wearable devices", "Updated a wearable device"], deleted: ["Removed one of your wearable devices", "Removed a wearable device"] },
  invites: {
    created: ["Created a portal invitation for you", "Created a portal invitation"],
    // The invitation row changes when it is used (or withdrawn): that is what the patient sees happen.
    changed: ["Marked your portal invitation as used", "Marked the portal invitation as used"],
    deleted: ["Withdrew your portal invitation", "Withdrew the portal invitation"],
  },
};

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
  "prescription.verification_lookup": [
    "Checked that one of your printed prescriptions is valid (its code, without an account)",
    "Checked a printed prescription's code (without an account)",
  ],
};

const ROLE: Record<string, string> = {
  provider: "Provider",
  admin: "Administrator",
  patient: "Patient",
  device: "Wearable device",
  system: "Done automatically by Carebase",
  service_role: "Done automatically by Carebase",
  share_link: "Sharing link",
  anon: "Without an account (e.g. a pharmacy)",
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
  const write = e.record_kind && (e.activity === "created" || e.activity === "changed" || e.activity === "deleted") ? WRITE[e.record_kind]?.[e.activity] : undefined;
  if (write) return write[i];
  const verb = VERB[e.activity] ?? humanize(e.activity);
  // Other account events name their own subject; their table (auth.users) says nothing more.
  if (!e.record_kind || !VERB[e.activity]) return verb;
  const kind = KIND[e.record_kind]?.[i] ?? e.record_kind.replace(/_/g, " ");
  return `${verb} ${kind}`;
}

/** Who, in words: "You" for the patient's own actions in their own report; "Carebase" for automatic work. */
export function describeActor(e: AccessEntryView, audience: AccessAudience): { name: string; role: string } {
  if (audience === "patient" && e.actor.role === "patient") return { name: "You", role: "Patient" };
  if (e.actor.role === "system" || e.actor.role === "service_role") return { name: "Carebase", role: ROLE[e.actor.role] };
  return { name: e.actor.name, role: ROLE[e.actor.role] ?? humanize(e.actor.role) };
}

/** One row of the report as shown: one or more audit entries of the same page view. */
export interface AccessGroup<E extends AccessEntryView & { id: string; occurred_at: string }> {
  key: string;
  occurred_at: string;
  entries: E[];
}

/** Entries of one actor less than this apart belong to the same page view (a chart loads its tabs' lists at once). */
export const PAGE_VIEW_WINDOW_MS = 60_000;

/**
 * Groups a newest-first report into page views: consecutive entries by the same person less
 * than a minute apart become one row. The audit rows stay one per read (the trail records each
 * statement's reads and the report's cursor pages over them); only the display groups them.
 */
export function groupPageViews<E extends AccessEntryView & { id: string; occurred_at: string }>(entries: readonly E[]): AccessGroup<E>[] {
  const groups: AccessGroup<E>[] = [];
  for (const e of entries) {
    const last = groups.at(-1);
    const head = last?.entries.at(-1);
    if (
      last && head &&
      head.actor.name === e.actor.name && head.actor.role === e.actor.role &&
      Math.abs(Date.parse(head.occurred_at) - Date.parse(e.occurred_at)) < PAGE_VIEW_WINDOW_MS
    ) {
      last.entries.push(e);
    } else {
      groups.push({ key: e.id, occurred_at: e.occurred_at, entries: [e] });
    }
  }
  return groups;
}

function joinWords(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/**
 * One sentence for a page view: "Viewed your chart" when the chart was opened (its lists are
 * part of that), otherwise what was done, each thing once ("Viewed your visit records and your
 * prescriptions", "Added a visit to your record; viewed your chart").
 */
export function describePageView(entries: readonly AccessEntryView[], audience: AccessAudience): string {
  const i = audience === "patient" ? 0 : 1;
  const views = entries.filter((e) => e.activity === "viewed");
  const others = entries.filter((e) => e.activity !== "viewed");
  const sentences: string[] = [];
  for (const d of new Set(others.map((e) => describeAccess(e, audience)))) sentences.push(d);
  if (views.some((e) => e.record_kind === "patient_chart")) {
    sentences.push(`Viewed ${KIND.patient_chart[i]}`);
  } else if (views.length) {
    const kinds = [...new Set(views.map((e) => (e.record_kind ? (KIND[e.record_kind]?.[i] ?? e.record_kind.replace(/_/g, " ")) : "")))].filter(Boolean);
    sentences.push(kinds.length ? `Viewed ${joinWords(kinds)}` : "Viewed");
  }
  const sentence = sentences.map((s, n) => (n === 0 ? s : s.charAt(0).toLowerCase() + s.slice(1))).join("; ");
  return entries.some((e) => e.via === "fhir") ? `${sentence} (through the FHIR API)` : sentence;
}
