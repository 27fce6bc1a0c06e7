import type { z } from "zod";

/**
 * The one place that turns zod issues into messages people read: a receptionist under a
 * form field, an integrator in an API answer. Every message is one sentence naming the field
 * ("Date of birth cannot be in the future.", "Gender must be one of: female, male, other or
 * unknown.", "Last name can be at most 100 characters."), never zod's developer wording
 * ("Too big: expected string to have <=100 characters", "Invalid option: expected one of …").
 * Pure and framework-free: the server (src/core/http/parse.ts) and the browser's forms
 * (src/components/app/form.tsx) both use it, so a field reads the same from either side.
 *
 * Schemas may give their own message: a fragment ("is required", "must look like 120/80")
 * is prefixed with the field's label; a whole sentence ("Choose a visit type: …") is kept.
 */

type Issue = z.core.$ZodIssue;

const WORDS: Record<string, string> = {
  mrn: "MRN",
  spo2: "SpO₂",
  id: "ID",
  url: "URL",
  uri: "URI",
  mfa: "two-factor",
  dob: "date of birth",
  rx: "prescription",
  npi: "NPI",
};

/** "date_of_birth" → "Date of birth", "emergency_contact.phone" → "Emergency contact phone", "visit_id" → "Visit". */
export function fieldLabel(path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  for (const key of path) {
    if (typeof key === "number") {
      parts.push(`(entry ${key + 1})`);
      continue;
    }
    const words = String(key)
      .replace(/_ids?$/, (m) => (m === "_ids" ? "s" : ""))
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .split(/[_\s]+/)
      .filter(Boolean)
      .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
    parts.push(words.join(" "));
  }
  const label = parts.join(" ").trim();
  return label ? label[0].toUpperCase() + label.slice(1) : "";
}

const ZOD_DEFAULT = /^(Invalid input|Invalid option|Invalid (string|number|date|key|element|value|UUID|email|URL|ISO|base64|hex|JWT|IPv|CIDR|emoji|nanoid|cuid|ulid|GUID|KSUID|xid|E\.164)|Too (big|small)|Unrecognized keys?|Number must be|Expected )/;

/** One sentence with one full stop at the end (a message that already ends in one does not get a second). */
export function sentence(text: string): string {
  const t = text.trim().replace(/[.\s]+$/, "");
  if (!t) return "";
  const s = t[0].toUpperCase() + t.slice(1);
  return /[!?]$/.test(s) ? s : `${s}.`;
}

function list(values: readonly unknown[]): string {
  const v = values.map((x) => (x === null ? "empty" : String(x).replace(/_/g, " ")));
  if (v.length <= 1) return v.join("");
  return `${v.slice(0, -1).join(", ")} or ${v[v.length - 1]}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  boolean: "yes or no (true or false)",
  array: "a list",
  object: "a group of fields (an object)",
  date: "a date",
  null: "empty",
};

function countable(n: number | bigint, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

/** What is wrong, as a predicate for the field's label ("can be at most 200 characters"). */
function predicate(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type": {
      if (/received undefined$/.test(issue.message)) return "is required";
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    }
    case "too_big": {
      const { maximum, origin, inclusive } = issue;
      const most = inclusive === false ? "less than" : "at most";
      if (origin === "string") return `can be at most ${countable(inclusive === false ? Number(maximum) - 1 : maximum, "character", "characters")}`;
      if (origin === "array" || origin === "set") return `can have at most ${countable(maximum, "entry", "entries")}`;
      if (origin === "date") return `must be on or before ${new Date(Number(maximum)).toISOString().slice(0, 10)}`;
      if (origin === "file") return `can be at most ${maximum} bytes`;
      return `must be ${most} ${maximum}`;
    }
    case "too_small": {
      const { minimum, origin, inclusive } = issue;
      if (origin === "string") return Number(minimum) <= 1 ? "is required" : `must be at least ${countable(minimum, "character", "characters")}`;
      if (origin === "array" || origin === "set") return Number(minimum) <= 1 ? "needs at least one entry" : `needs at least ${countable(minimum, "entry", "entries")}`;
      if (origin === "date") return `must be on or after ${new Date(Number(minimum)).toISOString().slice(0, 10)}`;
      return `must be ${inclusive === false ? "more than" : "at least"} ${minimum}`;
    }
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${list(issue.values)}` : `must be one of: ${list(issue.values)}`;
    case "invalid_format":
      switch (issue.format) {
        case "email":
          return "must be an email address, like name@example.com";
        case "uuid":
        case "guid":
          return "is not a valid reference: choose it again from the list";
        case "date":
          return "must be a date like 2026-04-02";
        case "datetime":
          return "must be a date and time";
        case "time":
          return "must be a time like 14:30";
        case "url":
          return "must be a web address starting with https://";
        default:
          return "is not in the expected form";
      }
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "";
    case "invalid_union":
    case "invalid_key":
    case "invalid_element":
      return "is not valid";
    default:
      return "is not valid";
  }
}

/** The sentence for one issue. */
export function issueMessage(issue: Issue): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `“${k}”`);
    return sentence(`${keys.length === 1 ? "The field" : "The fields"} ${list(keys)} ${keys.length === 1 ? "is" : "are"} not expected here`);
  }
  const label = fieldLabel(issue.path) || "This value";
  const custom = issue.message && !ZOD_DEFAULT.test(issue.message) ? issue.message.trim() : "";
  if (custom) {
    // A fragment ("is required", "must look like 120/80") reads after the label; a capitalised message is a whole sentence.
    return /^[a-z]/.test(custom) ? sentence(`${label} ${custom}`) : sentence(custom);
  }
  return sentence(`${label} ${predicate(issue)}`);
}

/** One sentence per field path ("emergency_contact.phone"; "_" for the whole input), the first issue of each. */
export function issueFields(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "_";
    fields[key] ??= issueMessage(issue);
  }
  return fields;
}
