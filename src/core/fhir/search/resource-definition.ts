import type { RawBuilder } from "kysely";
import type { Session } from "../../auth/session-types";
import type { ReadKind } from "../../audit/record";
import type { Tx } from "../../db/with-user";
import type { FhirResource } from "../types";
import type { Filter, IdType, ParamDef } from "./search-params";

/** What a mapper may need besides its row: where links point, and who asks (signed URLs). */
export interface MapContext {
  /** The server's base URL for absolute links (`https://host/fhir/R4`). */
  base: string;
  /** The request's origin (`https://host`), for download links. */
  origin: string;
  session: Session;
}

/** Every source row has these columns; the rest are the type's own. */
export interface SourceRow {
  id: string;
  patient_id: string | null;
  /** A Date, or instant text when the type renders its times in the database (rowColumns). */
  last_updated: Date | string;
}

/**
 * One FHIR resource type served by Carebase: where its rows come from (a SELECT over the
 * tables, read under the caller's RLS), its search parameters over that SELECT's
 * columns, what a read of it records in the audit trail, and its mapper (pure).
 */
export interface ResourceDefinition<Row extends SourceRow = SourceRow> {
  type: string;
  /** The audit record kind of a read (null: not PHI, e.g. the staff directory). */
  readKind: ReadKind | null;
  /** The type of the id column: uuids and bigints are compared natively (index order), text bytewise. */
  idType: IdType;
  /**
   * A timestamptz column the rows are ordered by before their id (Observation: `effective`),
   * when an index serves that order and the id alone would not (a computed text id makes
   * every page sort all of a patient's rows). Absent: ordered by id.
   */
  sortTime?: string;
  /**
   * What a read of rows to map selects from the source `r` (default `r.*`): e.g. the time
   * columns rendered as instants by the database (fhirInstant), for the types read by the
   * ten thousand (Observation).
   */
  rowColumns?: RawBuilder<unknown>;
  /** How `_id` (and a read) finds one id when the id column is computed (see ParamDef.codeCondition). */
  idCondition?: (id: string) => RawBuilder<boolean>;
  /** The rows, as `select … from …` with columns id, patient_id, last_updated and the mapper's. */
  source: RawBuilder<Row>;
  /**
   * With sortTime, when the source is a union: its parts, each with the source's columns.
   * A page then takes from each part only its first rows in time order (ties included) and
   * merges those, so a page reads about one page of each part through its own index instead
   * of building and sorting every matching row of a part that no index orders as a whole
   * (Observation: a patient's visit vitals, seven per visit).
   */
  sourceParts?: RawBuilder<Row>[];
  /** The search parameters besides _id, _lastUpdated and the result parameters. */
  params: Record<string, ParamDef>;
  /** The column `patient`/`subject` and the compartment ($everything) use; null: not in the Patient compartment. */
  patientColumn: "patient_id" | null;
  /**
   * The total of a search with these filters from something cheaper than counting its rows
   * (Observation: the counters the vitals ingest keeps), or null to count the rows.
   */
  total?: (filters: Filter[]) => RawBuilder<number> | null;
  /** Work a page needs inside the caller's transaction before mapping (e.g. issuing signed URLs); returns its extra audit records. */
  prepare?: (tx: Tx, rows: Row[], ctx: MapContext) => Promise<void>;
  toFhir: (row: Row, ctx: MapContext) => FhirResource;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResourceDefinition = ResourceDefinition<any>;
