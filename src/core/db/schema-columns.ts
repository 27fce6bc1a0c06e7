import type { ColumnType } from "kysely";

/**
 * Column shapes the generated schema (schema.generated.ts) cannot read from the catalog;
 * `npm run db:types` maps columns to them (docs/generated-types.md).
 */

/** A jsonb column: the pool parses it into an object; writes pass JSON text. */
export type JsonRecord = ColumnType<Record<string, unknown>, string, string>;

/** app.fhir_export_jobs.output: the files a finished export wrote (CHECK: a JSON array). */
export type FhirExportOutput = ColumnType<{ type: string; file: string; count: number }[], string | undefined, string>;
