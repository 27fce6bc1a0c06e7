import type pg from "pg";
import { quoteQualified } from "./backup-format";

/** The schemas a backup holds: everything Carebase creates. */
export const BACKUP_SCHEMAS = ["public", "auth", "app", "storage"] as const;
/** Migration bookkeeping: carried in the manifest and rewritten by migrate() on restore, never as rows. */
export const MIGRATIONS_TABLE = "app.schema_migrations";

export interface CatalogColumn {
  name: string;
  /** A generated column: never inserted. */
  generated: boolean;
  /** GENERATED ALWAYS AS IDENTITY: inserted with OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
}

export interface CatalogTable {
  /** schema.name */
  name: string;
  columns: CatalogColumn[];
}

type Query = Pick<pg.ClientBase, "query">;

/**
 * The application's tables (partitions through their parent), in an order in which every
 * table comes after the tables its foreign keys point at, so that rows load with every
 * constraint checked. A cycle (none today) is refused rather than loaded half-checked.
 */
export async function listTables(client: Query): Promise<CatalogTable[]> {
  const { rows: tables } = await client.query<{ oid: number; name: string }>(
    `select c.oid::int as oid, n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any ($1::text[])
        and n.nspname || '.' || c.relname <> $2
      order by 2`,
    [BACKUP_SCHEMAS, MIGRATIONS_TABLE],
  );
  const { rows: edges } = await client.query<{ child: number; parent: number }>(
    "select conrelid::int as child, confrelid::int as parent from pg_constraint where contype = 'f' and conrelid <> confrelid",
  );
  const { rows: selfRefs } = await client.query<{ name: string }>(
    "select conrelid::regclass::text as name from pg_constraint where contype = 'f' and conrelid = confrelid",
  );
  if (selfRefs.length) throw new Error(`A table refers to itself (${selfRefs[0].name}): the backup cannot order its rows yet.`);
  const { rows: columns } = await client.query<{ oid: number; name: string; generated: boolean; identity_always: boolean }>(
    `select a.attrelid::int as oid, a.attname as name, a.attgenerated <> '' as generated, a.attidentity = 'a' as identity_always
       from pg_attribute a
      where a.attrelid = any ($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [tables.map((t) => t.oid)],
  );
  const byOid = new Map(tables.map((t) => [t.oid, { name: t.name, columns: [] as CatalogColumn[] }]));
  for (const c of columns) byOid.get(c.oid)?.columns.push({ name: c.name, generated: c.generated, identityAlways: c.identity_always });

  const parents = new Map<number, Set<number>>(tables.map((t) => [t.oid, new Set<number>()]));
  for (const e of edges) if (byOid.has(e.child) && byOid.has(e.parent)) parents.get(e.child)!.add(e.parent);
  const ordered: CatalogTable[] = [];
  const done = new Set<number>();
  while (done.size < tables.length) {
    const ready = tables.filter((t) => !done.has(t.oid) && [...parents.get(t.oid)!].every((p) => done.has(p)));
    if (!ready.length) throw new Error("The tables' foreign keys form a cycle: the backup cannot order their rows.");
    for (const t of ready) {
      done.add(t.oid);
      ordered.push(byOid.get(t.oid)!);
    }
  }
  return ordered;
}

/** The application's sequences (identity columns' included), as schema.name. */
export async function listSequences(client: Query): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'S' and n.nspname = any ($1::text[])
      order by 1`,
    [BACKUP_SCHEMAS],
  );
  return rows.map((r) => r.name);
}

export interface SequenceState {
  sequence: string;
  last_value: string;
  is_called: boolean;
}

export async function readSequences(client: Query, names: string[]): Promise<SequenceState[]> {
  const out: SequenceState[] = [];
  for (const name of names) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `select last_value::text as last_value, is_called from ${quoteQualified(name)}`,
    );
    out.push({ sequence: name, last_value: rows[0].last_value, is_called: rows[0].is_called });
  }
  return out;
}

export interface UserTrigger {
  table: string;
  name: string;
  /** pg_trigger.tgenabled: O (origin), A (always), R (replica), D (disabled). */
  mode: string;
}

/** The user (non-internal) triggers of these tables, with how each is enabled. */
export async function listUserTriggers(client: Query): Promise<UserTrigger[]> {
  const { rows } = await client.query<{ table: string; name: string; mode: string }>(
    `select n.nspname || '.' || c.relname as table, t.tgname as name, t.tgenabled::text as mode
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and n.nspname = any ($1::text[])
      order by 1, 2`,
    [BACKUP_SCHEMAS],
  );
  return rows;
}

/** Relations in the application's schemas: none in a database a restore may write into. */
export async function countApplicationRelations(client: Query): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`,
    [BACKUP_SCHEMAS],
  );
  return rows[0].n;
}
