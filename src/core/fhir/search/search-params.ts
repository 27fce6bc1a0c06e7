import type { RawBuilder } from "kysely";
import { BadRequestError } from "../../errors";

/**
 * The search parameters of a resource type, and the parsing of a FHIR search query string
 * into filters (pure: no SQL here; src/core/fhir/search/run-search.ts turns filters into
 * SQL). Anything not understood is refused with 400, never ignored: a client that asked
 * for `?date=gt2024` and got every record would show a patient the wrong chart.
 */
export type ParamType = "token" | "string" | "date" | "reference";
export type IdType = "uuid" | "bigint" | "text";

export interface ParamDef {
  type: ParamType;
  /** Column(s) of the resource's source row (src/core/fhir/resources/*.ts). string: any of them matches. */
  columns: string[];
  /** token: the code system of the column's codes, or the column holding it. */
  system?: string;
  systemColumn?: string;
  /** reference: the resource types it may point to. */
  targets?: string[];
  /** reference/token: the column holds uuids or bigints (a value that is not one matches nothing). */
  idType?: IdType;
  /** token: lower-case values before comparing (gender, status...). */
  lowercase?: boolean;
  /**
   * token: how one code is matched when the column is computed and a plain comparison
   * could use no index (Observation ids: `vital-<n>` is the sample with id n).
   */
  codeCondition?: (code: string) => RawBuilder<boolean>;
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

/** Parameters every search takes, besides the type's own. */
export const RESULT_PARAMS = new Set(["_count", "_cursor", "_format", "_total"]);

export interface DateBound {
  prefix: "eq" | "ne" | "gt" | "lt" | "ge" | "le";
  /** The value's range at its precision: [lo, hi). */
  lo: Date;
  hi: Date;
}

export interface TokenValue {
  system?: string; // undefined: any system; "": no system
  code?: string; // undefined: any code in the system
}

export type FilterValue =
  | { type: "token"; values: TokenValue[] }
  | { type: "string"; values: string[]; modifier: "starts" | "exact" | "contains" }
  | { type: "date"; values: DateBound[] }
  | { type: "reference"; values: string[] };

export interface Filter {
  name: string;
  param: ParamDef;
  value: FilterValue;
}

export interface ParsedSearch {
  filters: Filter[];
  count: number;
  cursor?: string;
  /** `_total`: `accurate` (the default) counts the matches; `none` leaves Bundle.total out. */
  total?: "none" | "accurate";
}

function bad(message: string): never {
  throw new BadRequestError(message, "invalid_search_parameter");
}

/** Splits a parameter value on unescaped commas (FHIR's OR), unescaping `\,`. */
export function splitOr(raw: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\" && i + 1 < raw.length && (raw[i + 1] === "," || raw[i + 1] === "|" || raw[i + 1] === "\\" || raw[i + 1] === "$")) {
      cur += raw[++i];
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** A FHIR date / dateTime / instant search value with its precision, as a UTC range [lo, hi). */
export function parseDateRange(value: string): { lo: Date; hi: Date } {
  const m = DATE_RE.exec(value);
  if (!m) bad(`"${value.slice(0, 40)}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]).`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12 || day < 1 || day > 31) bad(`"${value.slice(0, 40)}" is not a valid date.`);
  if (h === undefined) {
    const lo = new Date(Date.UTC(year, month - 1, day));
    if (lo.getUTCDate() !== day) bad(`"${value.slice(0, 40)}" is not a valid date.`);
    const hi = d ? new Date(Date.UTC(year, month - 1, day + 1)) : mo ? new Date(Date.UTC(year, month, 1)) : new Date(Date.UTC(year + 1, 0, 1));
    return { lo, hi };
  }
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) bad(`"${value.slice(0, 40)}" is not a valid time.`);
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${frac ?? ""}${tz ?? "Z"}`;
  const lo = new Date(iso);
  if (Number.isNaN(lo.getTime())) bad(`"${value.slice(0, 40)}" is not a valid date-time.`);
  const step = frac ? 1 : s !== undefined ? 1000 : 60_000;
  return { lo, hi: new Date(lo.getTime() + step) };
}

function parseDate(raw: string): DateBound {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$/.exec(raw)!;
  const prefix = (m[1] ?? "eq") as string;
  if (prefix === "sa" || prefix === "eb" || prefix === "ap") bad(`The date prefix "${prefix}" is not supported (eq, ne, gt, lt, ge, le are).`);
  return { prefix: prefix as DateBound["prefix"], ...parseDateRange(m[2]) };
}

function parseToken(raw: string, param: ParamDef): TokenValue {
  const bar = raw.indexOf("|");
  const norm = (c: string) => (param.lowercase ? c.toLowerCase() : c);
  if (bar < 0) {
    if (!raw) bad("A token search value is empty.");
    return { code: norm(raw) };
  }
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  if (!system && !code) bad("A token search value is empty.");
  return { system, code: code ? norm(code) : undefined };
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The id a reference value points at (`Patient/123`, `123`, or an absolute URL ending so), checked against the allowed targets. */
export function parseReference(raw: string, param: ParamDef): string {
  const parts = raw.split("/");
  let id = raw;
  if (parts.length >= 2) {
    const type = parts[parts.length - 2];
    id = parts[parts.length - 1];
    if (param.targets && !param.targets.includes(type)) bad(`This parameter refers to ${param.targets.join(" or ")}, not ${type.slice(0, 40)}.`);
  }
  if (!FHIR_ID.test(id)) bad(`"${raw.slice(0, 80)}" is not a reference to a resource id.`);
  return id;
}

/**
 * Parses a search query string against a type's parameters. Repeating a parameter ANDs
 * its values; commas inside one value OR them.
 */
export function parseSearch(query: URLSearchParams, params: Record<string, ParamDef>, type: string): ParsedSearch {
  const filters: Filter[] = [];
  let count = DEFAULT_COUNT;
  let cursor: string | undefined;
  let total: ParsedSearch["total"];
  const seenResult = new Set<string>();
  for (const [key, raw] of query) {
    if (RESULT_PARAMS.has(key)) {
      if (seenResult.has(key)) bad(`${key} may be given once.`);
      seenResult.add(key);
      if (key === "_count") {
        if (!/^\d{1,7}$/.test(raw)) bad("_count must be a whole number.");
        count = Number(raw);
        if (count < 1 || count > MAX_COUNT) bad(`_count must be between 1 and ${MAX_COUNT}.`);
      } else if (key === "_cursor") {
        if (!/^[A-Za-z0-9_-]{1,400}$/.test(raw)) bad("_cursor is not a cursor this server issued.");
        cursor = raw;
      } else if (key === "_total") {
        // "estimate" is answered accurately (FHIR lets a server do so)
        if (!["none", "estimate", "accurate"].includes(raw)) bad("_total must be none, estimate or accurate.");
        total = raw === "none" ? "none" : "accurate";
      } else if (key === "_format") {
        if (!["json", "application/json", "application/fhir+json"].includes(raw)) bad("Only JSON is supported (_format=json).");
      }
      continue;
    }
    const colon = key.indexOf(":");
    const name = colon < 0 ? key : key.slice(0, colon);
    const modifier = colon < 0 ? undefined : key.slice(colon + 1);
    const param = params[name];
    if (!param) bad(`"${name.slice(0, 40)}" is not a search parameter of ${type} here (see /fhir/R4/metadata).`);
    if (raw === "") bad(`${name} has an empty value.`);
    const values = splitOr(raw);
    switch (param.type) {
      case "string": {
        if (modifier !== undefined && modifier !== "exact" && modifier !== "contains") bad(`The modifier :${modifier.slice(0, 20)} is not supported on ${name}.`);
        if (values.some((v) => !v || v.length > 200)) bad(`${name} has an empty or too long value.`);
        filters.push({ name, param, value: { type: "string", values, modifier: modifier === "exact" ? "exact" : modifier === "contains" ? "contains" : "starts" } });
        break;
      }
      case "token":
        if (modifier !== undefined) bad(`The modifier :${modifier.slice(0, 20)} is not supported on ${name}.`);
        filters.push({ name, param, value: { type: "token", values: values.map((v) => parseToken(v, param)) } });
        break;
      case "date":
        if (modifier !== undefined) bad(`The modifier :${modifier.slice(0, 20)} is not supported on ${name}.`);
        filters.push({ name, param, value: { type: "date", values: values.map(parseDate) } });
        break;
      case "reference": {
        if (modifier !== undefined && !(param.targets ?? []).includes(modifier)) bad(`The modifier :${modifier.slice(0, 20)} is not supported on ${name}.`);
        filters.push({ name, param, value: { type: "reference", values: values.map((v) => parseReference(v, param)) } });
        break;
      }
    }
  }
  return { filters, count, cursor, total };
}

/**
 * An opaque keyset cursor: the sort key of the last row shown (its id, and for types
 * ordered by time first, that time to the microsecond), and the total of matches counted
 * for the first page, so later pages do not count again.
 */
export interface Cursor {
  /** The last row's id. */
  k: string;
  /** The last row's sort time (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), for types ordered by a time. */
  t?: string;
  /** The total of matches, as counted for the first page. */
  n?: number;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<Record<keyof Cursor, unknown>>;
    const okId = typeof v.k === "string" && FHIR_ID.test(v.k);
    const okTime = v.t === undefined || (typeof v.t === "string" && CURSOR_TIME.test(v.t));
    const okTotal = v.n === undefined || (typeof v.n === "number" && Number.isSafeInteger(v.n) && v.n >= 0);
    if (okId && okTime && okTotal) return v as Cursor;
  } catch {
    /* fall through */
  }
  bad("_cursor is not a cursor this server issued.");
}

export function isFhirId(id: string): boolean {
  return FHIR_ID.test(id);
}
