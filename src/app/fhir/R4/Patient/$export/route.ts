import { kickOff } from "@/core/fhir/export/kick-off-response";
import { fhirAuthed } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** GET /fhir/R4/Patient/$export: every patient the caller may read, and their compartments. */
export const GET = fhirAuthed((call) => kickOff(call, "patient"));
