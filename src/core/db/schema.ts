import type { Selectable } from "kysely";
import type { DB } from "./schema.generated";

/**
 * Kysely's view of the schema. The tables and columns are GENERATED from the migrated
 * database into schema.generated.ts (`npm run db:types`; CI checks it is current), including
 * the unions the CHECK constraints allow. This file only names the unions the code passes
 * around, read off the generated columns so they cannot drift (docs/generated-types.md).
 */
export type { DB } from "./schema.generated";

type Column<T extends keyof DB, C extends keyof DB[T]> = Selectable<DB[T]>[C & keyof Selectable<DB[T]>];

export type AppRole = Column<"auth.users", "role">;
export type CareTeamRole = Column<"care_team", "role">;
export type ProviderCredential = Column<"providers", "credential">;
export type PrescriptionStatus = Column<"prescriptions", "status">;
export type VisitType = Column<"visits", "visit_type">;
export type AppointmentStatus = Column<"appointments", "status">;
export type FhirExportStatus = Column<"app.fhir_export_jobs", "status">;
export type SharePart = Column<"patient_shares", "parts">[number];
