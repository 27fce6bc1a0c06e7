import type pg from "pg";
import { becomeService } from "../../db/with-user";
import { quoteIdent, quoteQualified } from "./backup-format";
import { listTables, listUserTriggers, type CatalogTable, type SequenceState, type UserTrigger } from "./database-catalog";

/** The row-loading half of a restore (restoreBackup in restore-backup.ts drives it). */

export function insertSql(t: CatalogTable): string {
  const cols = t.columns.filter((c) => !c.generated).map((c) => quoteIdent(c.name));
  const overriding = t.columns.some((c) => c.identityAlways) ? " overriding system value" : "";
  const list = cols.join(", ");
  return `insert into ${quoteQualified(t.name)} (${list})${overriding} select ${list} from json_populate_recordset(null::${quoteQualified(t.name)}, $1::json)`;
}

/**
 * One transaction that loads every row: as the schema's owner it turns the tables' own
 * triggers off; as service_role (whose policies admit every row) it empties what the
 * migrations seeded and inserts; as the owner again it turns the triggers back on exactly as
 * they were. Turning triggers off is DDL inside the transaction: nobody sees the tables
 * without them, and a failure rolls it all back.
 */
export class RowLoader {
  rows = 0;
  private released = false;
  private constructor(
    private readonly client: pg.PoolClient,
    readonly tables: Map<string, CatalogTable>,
    private readonly triggers: UserTrigger[],
  ) {}

  static async begin(pool: pg.Pool): Promise<RowLoader> {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query("set local role none");
      const tables = await listTables(client);
      const triggers = (await listUserTriggers(client)).filter((t) => t.mode !== "D");
      for (const t of triggers) await client.query(`alter table ${quoteQualified(t.table)} disable trigger ${quoteIdent(t.name)}`);
      await becomeService(client, "restore: load the rows of a backup");
      // What the migrations seeded (the storage bucket, the chain heads, the settings row)
      // comes back with the backup's rows: clear it first, children before parents. Not
      // TRUNCATE: the owner gave that up on the audit trail (0201), and these are few rows.
      for (const t of [...tables].reverse()) {
        const { rows } = await client.query<{ any: boolean }>(`select exists (select 1 from ${quoteQualified(t.name)}) as any`);
        if (rows[0].any) await client.query(`delete from ${quoteQualified(t.name)}`);
      }
      return new RowLoader(client, new Map(tables.map((t) => [t.name, t])), triggers);
    } catch (e) {
      await client.query("rollback").catch(() => undefined);
      client.release();
      throw e;
    }
  }

  async insert(sql: string, rowsJson: string): Promise<number> {
    const { rowCount } = await this.client.query(sql, [rowsJson]);
    this.rows += rowCount ?? 0;
    return rowCount ?? 0;
  }

  async setSequences(states: SequenceState[]): Promise<void> {
    for (const s of states) await this.client.query("select setval($1::regclass, $2::bigint, $3)", [quoteQualified(s.sequence), s.last_value, s.is_called]);
  }

  async commit(): Promise<void> {
    this.released = true;
    try {
      await this.client.query("set local role none");
      for (const t of this.triggers) {
        const how = t.mode === "A" ? "enable always" : t.mode === "R" ? "enable replica" : "enable";
        await this.client.query(`alter table ${quoteQualified(t.table)} ${how} trigger ${quoteIdent(t.name)}`);
      }
      await this.client.query("commit");
    } catch (e) {
      await this.client.query("rollback").catch(() => undefined);
      throw e;
    } finally {
      this.client.release();
    }
  }

  async rollback(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.client.query("rollback").catch(() => undefined);
    this.client.release();
  }
}
