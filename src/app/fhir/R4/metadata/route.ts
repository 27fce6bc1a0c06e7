import { capabilityStatement } from "@/core/fhir/capability-statement";
import { FHIR_BASE_PATH } from "@/core/fhir/map-context";
import { fhirJson } from "@/core/fhir/respond";
import { fhirOpen } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** The CapabilityStatement, without authentication. */
export const GET = fhirOpen(async ({ req }) => fhirJson(capabilityStatement(new URL(req.url).origin + FHIR_BASE_PATH)));
