import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { collectionBundle } from "./bundle";
import { mapContextFor } from "./map-context";
import { patientEverything } from "./patient-everything";
import { buildRecordSummaryPdf } from "./record-summary-pdf";
import type { Bundle } from "./types";

/** The signed-in patient's own record id (RLS: their own row only); 404 for anyone else. */
async function myPatientId(session: Session, context: RequestContext): Promise<string> {
  if (session.role !== "patient") throw new NotFoundError("patient record");
  const row = await withUser(session, (tx) => tx.selectFrom("patients").select("id").where("user_id", "=", session.userId).executeTakeFirst(), context);
  if (!row) throw new NotFoundError("patient record");
  return row.id;
}

/**
 * "Download my record": the patient's $everything (read, and audited, exactly as through
 * /fhir/R4), as a FHIR collection Bundle for a file, or as a readable PDF summary.
 */
export async function downloadMyRecord(session: Session, format: "fhir" | "pdf", requestUrl: string, context: RequestContext): Promise<{ bytes: Uint8Array; contentType: string; fileName: string }> {
  const patientId = await myPatientId(session, context);
  const { resources } = await patientEverything(session, patientId, requestUrl, {}, context);
  if (format === "pdf") {
    return { bytes: await buildRecordSummaryPdf(resources, new Date()), contentType: "application/pdf", fileName: "my-record-summary.pdf" };
  }
  const bundle: Bundle = collectionBundle(mapContextFor(requestUrl, session).base, resources);
  return { bytes: new TextEncoder().encode(JSON.stringify(bundle, null, 1)), contentType: "application/fhir+json; charset=utf-8", fileName: "my-record.json" };
}
