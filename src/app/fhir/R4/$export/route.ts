import { kickOff } from "@/core/fhir/export/kick-off-response";
import { fhirAuthed } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** GET /fhir/R4/$export: a system-level Bulk Data export (admins at aal2). */
export const GET = fhirAuthed((call) => kickOff(call, "system"));
