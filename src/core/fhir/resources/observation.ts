import { sql, type RawBuilder } from "kysely";
import { LOINC, OBSERVATION_CATEGORY, UCUM, VISIT_VITAL_KEYS, VITAL_CODES } from "../codes";
import type { ResourceDefinition, SourceRow } from "../search/resource-definition";
import { whereClause } from "../search/run-search";
import type { Filter } from "../search/search-params";
import type { FhirResource } from "../types";
import { fhirInstant, instant, meta, PATIENT_PARAMS } from "./shared";

export interface ObservationSourceRow extends SourceRow {
  /** A Date, or the instant text rendered by the database (rowColumns). */
  effective: Date | string;
  metric: string;
  value_num: number | null;
  value_text: string | null;
  device_id: string | null;
  performer_id: string | null;
  visit_id: string | null;
  code: string | null;
  category: string;
}

// Built once per metric and shared by every resource of that code: $everything maps tens of
// thousands of samples, and JSON.stringify does not mind shared objects.
const CATEGORY = Object.freeze([{ coding: [{ system: OBSERVATION_CATEGORY, code: "vital-signs", display: "Vital Signs" }], text: "Vital Signs" }]);
const CODINGS = new Map(
  Object.entries(VITAL_CODES).map(([metric, c]) => [metric, Object.freeze({ coding: [{ system: LOINC, code: c.loinc, display: c.display }], text: c.display })]),
);

function coding(metric: string) {
  return CODINGS.get(metric)!;
}

function quantity(metric: string, value: number) {
  const c = VITAL_CODES[metric];
  return { value, unit: c.unit, system: UCUM, code: c.ucum };
}

/**
 * A vital sign → Observation (category vital-signs, LOINC-coded, UCUM units). Two sources:
 * wearable and manual samples (vitals rows, id `vital-<n>`, device referenced), and the
 * vitals taken at a visit (visits.vitals, id `visit-<visit id>-<metric, - for _>`: a FHIR id has no `_`; encounter
 * referenced). A visit's blood pressure "120/80" is one panel (85354-9) with systolic and
 * diastolic components. Written member by member (no spread, no compact): it runs once per
 * sample in an export or $everything.
 */
export function toFhirObservation(r: ObservationSourceRow): FhirResource {
  const o: FhirResource = {
    resourceType: "Observation",
    id: r.id,
    meta: meta(r.last_updated),
    status: "final",
    category: CATEGORY,
    code: coding(r.metric),
  };
  if (r.patient_id) o.subject = { reference: `Patient/${r.patient_id}` };
  if (r.visit_id) o.encounter = { reference: `Encounter/${r.visit_id}` };
  o.effectiveDateTime = instant(r.effective);
  if (r.visit_id && r.performer_id) o.performer = [{ reference: `Practitioner/${r.performer_id}` }];
  if (r.device_id) o.device = { reference: `Device/${r.device_id}` };
  if (r.metric === "blood_pressure") {
    const m = /^(\d{2,3})\/(\d{2,3})$/.exec((r.value_text ?? "").trim());
    if (m) {
      o.component = [
        { code: coding("bp_systolic"), valueQuantity: quantity("bp_systolic", Number(m[1])) },
        { code: coding("bp_diastolic"), valueQuantity: quantity("bp_diastolic", Number(m[2])) },
      ];
    } else if (r.value_text) o.valueString = r.value_text;
    else o.dataAbsentReason = { text: "No value recorded" };
    return o;
  }
  if (r.value_num == null) o.dataAbsentReason = { text: "No value recorded" };
  else o.valueQuantity = quantity(r.metric, Number(r.value_num));
  return o;
}

const visitKeys = Object.entries(VISIT_VITAL_KEYS);
const codeCase = sql.join(
  Object.entries(VITAL_CODES).map(([metric, c]) => sql`when ${sql.lit(metric)} then ${sql.lit(c.loinc)}`),
  sql` `,
);
const visitValues = sql.join(
  visitKeys.map(([key, metric]) => sql`(${sql.lit(metric)}, vi.vitals -> ${sql.lit(key)})`),
  sql`, `,
);

const METRICS_BY_LOINC = new Map<string, string[]>();
for (const [metric, c] of Object.entries(VITAL_CODES)) METRICS_BY_LOINC.set(c.loinc, [...(METRICS_BY_LOINC.get(c.loinc) ?? []), metric]);

/** `code=<loinc>` as a condition on the metric the code is computed from (same rows as `code = <loinc>`). */
function metricOfCode(code: string) {
  const metrics = METRICS_BY_LOINC.get(code);
  if (!metrics) return sql<boolean>`false`;
  return metrics.length === 1 ? sql<boolean>`r.metric = ${metrics[0]}` : sql<boolean>`r.metric = any(${metrics}::text[])`;
}

/** The wearable and manual samples, one row each (the first source of Observations). */
const samples = sql`select 'vital-' || v.id as id, v.patient_id, v.created_at as last_updated, v.recorded_at as effective, v.metric,
             v.value::float8 as value_num, null::text as value_text, v.device_id, v.recorded_by as performer_id, null::uuid as visit_id,
             v.id as sample_id
        from public.vitals v`;

/** The vital signs taken at visits, one row each (the second source of Observations). */
const visitVitals = sql`select 'visit-' || vi.id || '-' || replace(x.metric, '_', '-') as id, vi.patient_id, vi.updated_at as last_updated,
             vi.visit_date as effective, x.metric,
             case when jsonb_typeof(x.val) = 'number' then (x.val #>> '{}')::float8 end as value_num,
             case when jsonb_typeof(x.val) = 'string' then x.val #>> '{}' end as value_text,
             null::uuid as device_id, vi.provider_id as performer_id, vi.id as visit_id, null::bigint as sample_id
        from public.visits vi cross join lateral (values ${visitValues}) as x(metric, val)
       where vi.vitals is not null and x.val is not null and jsonb_typeof(x.val) <> 'null'`;

/** Rows of either source with the columns searches compare: the LOINC code, the category, the status. */
const searchable = (rows: RawBuilder<unknown>) =>
  sql<ObservationSourceRow>`select o.*, case o.metric ${codeCase} end as code, 'vital-signs'::text as category, 'final'::text as status_code from (${rows}) o`;

const COUNTED_PARAMS = new Set(["patient", "subject", "code"]);

/**
 * The total of a search by patient (and code): the counters the vitals ingest and the visits
 * keep per patient and metric (public.vitals_counts: samples 0930, visit vitals 0940), under
 * the caller's RLS like the rows. Other searches count their matching rows.
 */
function countedTotal(filters: Filter[]) {
  if (!filters.every((f) => COUNTED_PARAMS.has(f.name)) || !filters.some((f) => f.name !== "code")) return null;
  return sql<number>`(select coalesce(sum(r.samples + r.visit_vitals), 0)::int from public.vitals_counts r where ${whereClause(filters)})`;
}

export const observationDefinition: ResourceDefinition<ObservationSourceRow> = {
  type: "Observation",
  readKind: "vitals",
  idType: "text",
  // pages read a merge of two index scans in time order (0811) instead of sorting all of a patient's rows by text id
  sortTime: "effective",
  // an id is found through the key it is made of (the sample's, or the visit's), not by building every id
  // the two times come as instant text: 10,000 samples are 20,000 timestamps not parsed and formatted in Node
  rowColumns: sql`r.id, r.patient_id, r.metric, r.value_num, r.value_text, r.device_id, r.performer_id, r.visit_id,
    ${fhirInstant(sql.ref("r.effective"))} as effective, ${fhirInstant(sql.ref("r.last_updated"))} as last_updated`,
  idCondition: (id) => {
    const sample = /^vital-([1-9]\d{0,17})$/.exec(id);
    if (sample) return sql<boolean>`r.sample_id = ${sample[1]}::bigint`;
    const visit = /^visit-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-[a-z0-9-]{1,40}$/.exec(id);
    if (visit) return sql<boolean>`(r.visit_id = ${visit[1]}::uuid and r.id = ${id})`;
    return sql<boolean>`false`;
  },
  patientColumn: "patient_id",
  source: searchable(sql`${samples} union all ${visitVitals}`),
  // a page takes about one page from each: the samples' time index, and the patient's visits
  // by date (visits_patient_date_idx) seven vital signs at a time, instead of all of them sorted
  sourceParts: [searchable(samples), searchable(visitVitals)],
  params: {
    ...PATIENT_PARAMS,
    date: { type: "date", columns: ["effective"] },
    // a LOINC code is matched through the metric it stands for: the metric index serves it
    code: { type: "token", columns: ["code"], system: LOINC, codeCondition: metricOfCode },
    category: { type: "token", columns: ["category"], system: OBSERVATION_CATEGORY },
    status: { type: "token", columns: ["status_code"], system: "http://hl7.org/fhir/observation-status" },
    device: { type: "reference", columns: ["device_id"], targets: ["Device"], idType: "uuid" },
    encounter: { type: "reference", columns: ["visit_id"], targets: ["Encounter"], idType: "uuid" },
  },
  total: countedTotal,
  toFhir: toFhirObservation,
};
