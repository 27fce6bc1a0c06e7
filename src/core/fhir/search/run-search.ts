import { sql, type RawBuilder } from "kysely";
import { PREPARED } from "../../db/pipelined-transactions";
import type { Tx } from "../../db/with-user";
import { FHIR_CHANNEL } from "../record-fhir-read";
import type { AnyResourceDefinition, SourceRow } from "./resource-definition";
import { decodeCursor, type Cursor, type DateBound, type Filter, type IdType, type ParsedSearch } from "./search-params";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIGINT = /^[1-9]\d{0,17}$/;

/** Whether a value can be an id of this type (one that cannot matches nothing, without a cast error). */
function fits(idType: IdType | undefined, v: string): boolean {
  return idType === "uuid" ? UUID.test(v) : idType === "bigint" ? BIGINT.test(v) : true;
}

function idValue(idType: IdType | undefined, v: string | string[]): RawBuilder<unknown> {
  if (Array.isArray(v)) return idType === "uuid" ? sql`${v}::uuid[]` : idType === "bigint" ? sql`${v}::bigint[]` : sql`${v}::text[]`;
  return idType === "uuid" ? sql`${v}::uuid` : idType === "bigint" ? sql`${v}::bigint` : sql`${v}`;
}

const col = (name: string) => sql.ref(`r.${name}`);
const NOTHING = sql<boolean>`false`;

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function dateCondition(column: string, b: DateBound): RawBuilder<boolean> {
  const c = col(column);
  const lo = b.lo.toISOString();
  const hi = b.hi.toISOString();
  switch (b.prefix) {
    case "eq": return sql<boolean>`(${c} >= ${lo}::timestamptz and ${c} < ${hi}::timestamptz)`;
    case "ne": return sql<boolean>`(${c} < ${lo}::timestamptz or ${c} >= ${hi}::timestamptz)`;
    case "gt": return sql<boolean>`${c} >= ${hi}::timestamptz`;
    case "ge": return sql<boolean>`${c} >= ${lo}::timestamptz`;
    case "lt": return sql<boolean>`${c} < ${lo}::timestamptz`;
    case "le": return sql<boolean>`${c} < ${hi}::timestamptz`;
  }
}

function anyOf(conds: RawBuilder<boolean>[]): RawBuilder<boolean> {
  if (conds.length === 0) return NOTHING;
  if (conds.length === 1) return conds[0];
  return sql<boolean>`(${sql.join(conds, sql` or `)})`;
}

/** One filter as a SQL condition over the source row `r`. */
export function filterCondition(f: Filter): RawBuilder<boolean> {
  const { param, value } = f;
  switch (value.type) {
    case "date":
      // one value: its own range; several (comma): any of them
      return anyOf(value.values.map((b) => anyOf(param.columns.map((c) => dateCondition(c, b)))));
    case "string":
      return anyOf(
        value.values.flatMap((v) =>
          param.columns.map((c) =>
            value.modifier === "exact"
              ? sql<boolean>`${col(c)} = ${v}`
              : value.modifier === "contains"
                ? sql<boolean>`lower(${col(c)}) like ${"%" + escapeLike(v.toLowerCase()) + "%"}`
                : sql<boolean>`lower(${col(c)}) like ${escapeLike(v.toLowerCase()) + "%"}`,
          ),
        ),
      );
    case "reference": {
      const ids = value.values.filter((v) => fits(param.idType, v));
      if (ids.length === 0) return NOTHING;
      // one value as an equality: the planner then walks an ordered index for a page (= any() hides that)
      if (ids.length === 1) return sql<boolean>`${col(param.columns[0])} = ${idValue(param.idType, ids[0])}`;
      return sql<boolean>`${col(param.columns[0])} = any(${idValue(param.idType, ids)})`;
    }
    case "token":
      return anyOf(
        value.values.map((t) => {
          const conds: RawBuilder<boolean>[] = [];
          if (t.system !== undefined) {
            if (param.systemColumn) conds.push(t.system === "" ? sql<boolean>`${col(param.systemColumn)} is null` : sql<boolean>`${col(param.systemColumn)} = ${t.system}`);
            else if ((param.system ?? "") !== t.system) return NOTHING;
          }
          if (t.code !== undefined && param.codeCondition) {
            conds.push(param.codeCondition(t.code));
          } else if (t.code !== undefined) {
            if (!fits(param.idType, t.code)) return NOTHING;
            conds.push(sql<boolean>`${col(param.columns[0])} = ${idValue(param.idType, t.code)}`);
          }
          return conds.length ? sql<boolean>`(${sql.join(conds, sql` and `)})` : sql<boolean>`true`;
        }),
      );
  }
}

export function whereClause(filters: Filter[]): RawBuilder<boolean> {
  return filters.length ? sql<boolean>`${sql.join(filters.map(filterCondition), sql` and `)}` : sql<boolean>`true`;
}

/** The id as it sorts: natively for uuids and bigints, bytewise for text ids so both engines agree. */
function idKey(def: AnyResourceDefinition) {
  return def.idType === "text" ? sql`r.id collate "C"` : sql`r.id`;
}

/** The select list of rows read to be mapped: the type's own, or every column. */
export function rowColumns(def: AnyResourceDefinition) {
  return def.rowColumns ?? sql`r.*`;
}

/** The order of a type's rows (and its keyset): (sortTime, id) or id. */
export function rowOrder(def: AnyResourceDefinition) {
  return def.sortTime ? sql`${col(def.sortTime)}, ${idKey(def)}` : idKey(def);
}

/** The sort time of a row as the cursor keeps it: UTC to the microsecond, so no row is skipped or repeated. */
const sortTimeText = (column: string) => sql<string>`to_char(${col(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows after the cursor's row, in rowOrder. */
function afterCursor(def: AnyResourceDefinition, cursor: Cursor): RawBuilder<boolean> {
  const key = cursor.k;
  const idAfter = def.idType === "text" ? sql<boolean>`r.id collate "C" > ${key}` : fits(def.idType, key) ? sql<boolean>`r.id > ${idValue(def.idType, key)}` : NOTHING;
  if (!def.sortTime) return idAfter;
  if (cursor.t === undefined) return NOTHING; // a cursor of another order
  const t = col(def.sortTime);
  // the first conjunct lets the index start at the cursor's time
  return sql<boolean>`(${t} >= ${cursor.t}::timestamptz and (${t} > ${cursor.t}::timestamptz or ${idAfter}))`;
}

export interface SearchPage<Row> {
  rows: Row[];
  /** The total of matches; absent when the client asked for none (`_total=none`). */
  total: number | undefined;
  /** The cursor of the next page when more rows follow. */
  next: Cursor | null;
}

export interface SearchOptions {
  /** Count the matches (a read by id does not). Default true. */
  withTotal?: boolean;
  /**
   * Record the read of the rows shown in the page's own statement (recordFhirRead's
   * records: one per patient, the row ids, `via: "fhir"`, the type, and these details),
   * instead of a statement of its own. Ignored for types whose reads are not audited.
   */
  record?: Record<string, unknown>;
  /**
   * A read by id: no page beyond the first `count` rows is wanted, and each row's record
   * rides in its own select list (cheaper than grouping the page's rows per patient).
   */
  single?: boolean;
}

/**
 * What a page selects from: the type's source or, for a union whose parts each have an index
 * in time order (sourceParts), the first `limit` rows of each part by sort time, ties
 * included, merged. The page's first `limit` rows in (time, id) order are among them: a
 * part's share of them is a prefix of that part's order, and no row of it is later than the
 * part's `limit`-th time.
 */
function pageSource(def: AnyResourceDefinition, where: RawBuilder<boolean>, after: RawBuilder<boolean>, limit: number) {
  if (!def.sortTime || !def.sourceParts?.length) return def.source;
  const t = col(def.sortTime);
  return sql.join(
    def.sourceParts.map((part) => sql`(select * from (${part}) r where ${where} and ${after} order by ${t} fetch first ${limit} rows with ties)`),
    sql` union all `,
  );
}

/**
 * A page statement is kept prepared on its connection (PREPARED) when no filter is a date or
 * a string: references, ids and codes are equalities, whose plan (an index on the patient,
 * the id, the metric) is the right one whatever the value, so the server may keep one
 * generic plan. A date range or a name prefix can match one row or all of them: those are
 * planned for their values each time.
 */
function keptPrepared(filters: Filter[]) {
  return filters.every((f) => f.value.type === "reference" || f.value.type === "token") ? sql.raw(PREPARED) : sql.raw("");
}

/**
 * Whether runSearch makes exactly one statement: after a cursor that carries no total (one
 * from a `_total=none` page) an empty page is counted by a second statement.
 */
export function searchIsOneStatement(search: ParsedSearch, opts: SearchOptions = {}): boolean {
  const cursor = search.cursor ? decodeCursor(search.cursor) : null;
  return !(cursor && cursor.n === undefined && opts.withTotal !== false && search.total !== "none");
}

/**
 * A page of a search, under the caller's RLS: keyset on the type's order (never OFFSET),
 * plus the total of matches. The total is counted once, for the first page, in the same
 * snapshot, and travels in the cursor, so paging on does not count again.
 */
export async function runSearch<Row extends SourceRow>(tx: Tx, def: AnyResourceDefinition, search: ParsedSearch, opts: SearchOptions = {}): Promise<SearchPage<Row>> {
  const withTotal = opts.withTotal !== false;
  const where = whereClause(search.filters);
  const cursor = search.cursor ? decodeCursor(search.cursor) : null;
  const after = cursor ? afterCursor(def, cursor) : sql<boolean>`true`;
  const sortText = def.sortTime ? sql`, ${sortTimeText(def.sortTime)} as cb_sort_time` : sql``;
  const page = sql`select ${rowColumns(def)} ${sortText} from (${pageSource(def, where, after, search.count + 1)}) r where ${where} and ${after} order by ${rowOrder(def)} limit ${search.count + 1}`;
  // the page's own order again (its columns may be rendered as text: sort by the exact sort time)
  const pageOrder = def.sortTime ? sql`r.cb_sort_time, ${idKey(def)}` : rowOrder(def);
  const counting = withTotal && cursor?.n === undefined && search.total !== "none";
  // the count rides along in the page's statement (one round trip); the inner `r` is its own
  const countAll = def.total?.(search.filters) ?? sql<number>`(select count(*)::int from (${def.source}) r where ${where})`;
  const totalColumn = counting ? sql`, ${countAll} as cb_total` : sql``;
  const recording = opts.record !== undefined && def.readKind !== null;
  const kept = keptPrepared(search.filters);
  const { rows } = recording && opts.single && !counting
    ? await sql<PageRow<Row>>`${kept}select ${rowColumns(def)} ${sortText}, ${recordRow(def, opts.record!)} as cb_recorded
        from (${def.source}) r where ${where} and ${after} order by ${rowOrder(def)} limit ${search.count}`.execute(tx)
    : recording
    ? await sql<PageRow<Row>>`${kept}with page as materialized (${page}),
        recorded as materialized (${recordShown(def, search.count, pageOrder, opts.record!)})
      select r.* ${totalColumn}, (select count(*) from recorded) as cb_recorded from page r order by ${pageOrder}`.execute(tx)
    : counting
      ? await sql<PageRow<Row>>`${kept}with page as (${page}) select r.* ${totalColumn} from page r order by ${pageOrder}`.execute(tx)
      : await sql<PageRow<Row>>`${kept}${page}`.execute(tx);
  const more = rows.length > search.count;
  const shown = more ? rows.slice(0, search.count) : rows;
  let total: number | undefined = cursor?.n;
  if (counting) total = rows.length ? rows[0].cb_total : cursor ? undefined : 0;
  if (total === undefined && withTotal && search.total !== "none") {
    // an empty page after a cursor of an older shape: count on its own
    const c = await sql<{ n: number }>`select ${countAll} as n`.execute(tx);
    total = c.rows[0]?.n ?? 0;
  }
  let next: Cursor | null = null;
  if (more) {
    const last = shown[shown.length - 1];
    next = { k: String(last.id), ...(total !== undefined ? { n: total } : {}), ...(def.sortTime ? { t: last.cb_sort_time } : {}) };
  }
  for (const r of shown) {
    delete r.cb_sort_time;
    delete r.cb_total;
    delete r.cb_recorded;
  }
  return { rows: shown, total, next };
}

type PageRow<Row> = Row & { cb_sort_time?: string; cb_total?: number; cb_recorded?: string };

/** The read record of one row, as recordShown writes it, for the row's own select list. */
function recordRow(def: AnyResourceDefinition, details: Record<string, unknown>) {
  return sql`app.stage_read(${def.readKind}, ${patientOf}, array[r.id::text], ${recordDetails(def, details)}::jsonb)`;
}

const patientOf = sql`case when r.patient_id is null then '{}'::uuid[] else array[r.patient_id::uuid] end`;
const recordDetails = (def: AnyResourceDefinition, details: Record<string, unknown>) => JSON.stringify({ via: FHIR_CHANNEL, resource: def.type, ...details });

/**
 * The read records of the rows a page shows (the first `count` of `page`, in its order),
 * as recordFhirRead writes them: one per patient, with the row ids. Referenced by the
 * page's select list, so it runs exactly when the page has rows (a CTE nobody reads is
 * never run).
 */
function recordShown(def: AnyResourceDefinition, count: number, pageOrder: RawBuilder<unknown>, details: Record<string, unknown>) {
  return sql`select app.stage_read(${def.readKind}, ${patientOf}, array_agg(r.id::text order by ${pageOrder}), ${recordDetails(def, details)}::jsonb)
    from (select * from page r order by ${pageOrder} limit ${count}) r group by r.patient_id`;
}

/**
 * Every row of a patient's compartment for one type ($everything), under RLS; `since`:
 * changed at or after. In no particular order: $everything defines none, and sorting a
 * patient's years of samples cost more than reading them.
 */
export async function compartmentRows<Row extends SourceRow>(tx: Tx, def: AnyResourceDefinition, patientId: string, since?: Date): Promise<Row[]> {
  const changed = since ? sql<boolean>`r.last_updated >= ${since.toISOString()}::timestamptz` : sql<boolean>`true`;
  const { rows } = await sql<Row>`select ${rowColumns(def)} from (${def.source}) r where r.patient_id = ${patientId}::uuid and ${changed}`.execute(tx);
  return rows;
}

/** Rows by id (the practitioners a patient's record refers to). */
export async function rowsById<Row extends SourceRow>(tx: Tx, def: AnyResourceDefinition, ids: string[]): Promise<Row[]> {
  const valid = ids.filter((v) => fits(def.idType, v));
  if (valid.length === 0) return [];
  const { rows } = await sql<Row>`select ${rowColumns(def)} from (${def.source}) r where r.id = any(${idValue(def.idType, valid)}) order by ${idKey(def)}`.execute(tx);
  return rows;
}
