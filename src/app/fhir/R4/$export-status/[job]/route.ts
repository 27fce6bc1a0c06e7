import { cancelExport } from "@/core/fhir/export/cancel-export";
import { getExportStatus } from "@/core/fhir/export/export-status";
import { mapContextFor } from "@/core/fhir/map-context";
import { operationOutcome } from "@/core/fhir/outcome";
import { fhirJson } from "@/core/fhir/respond";
import { fhirAuthed } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** Polling an export: 202 with X-Progress while it runs, 200 with the manifest, 500 with an OperationOutcome if it failed. */
export const GET = fhirAuthed<{ job: string }>(async ({ req, params, session, context }) => {
  const { base } = mapContextFor(req.url, session);
  const s = await getExportStatus(session, params.job, base, context);
  if (s.state === "in-progress") {
    return new Response(null, { status: 202, headers: { "X-Progress": s.progress, "Retry-After": "2", "Cache-Control": "no-store" } });
  }
  if (s.state === "failed") {
    return fhirJson(operationOutcome([{ severity: "error", code: "exception", diagnostics: s.error }]), 500);
  }
  return new Response(JSON.stringify(s.manifest), {
    status: 200,
    headers: { "Content-Type": "application/json", "Expires": s.expiresAt.toUTCString(), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  });
});

/** Cancelling an export (and removing its files): 202. */
export const DELETE = fhirAuthed<{ job: string }>(async ({ params, session, context }) => {
  await cancelExport(session, params.job, context);
  return new Response(null, { status: 202, headers: { "Cache-Control": "no-store" } });
});
