import { Readable } from "node:stream";
import { readExportFile } from "@/core/fhir/export/read-export-file";
import { fhirAuthed } from "@/core/fhir/route";

export const dynamic = "force-dynamic";

/** One NDJSON file of a completed export, with the same token that started it (its owner only). */
export const GET = fhirAuthed<{ job: string; file: string }>(async ({ params, session, context }) => {
  const body = await readExportFile(session, params.job, params.file, context);
  return new Response(Readable.toWeb(body) as ReadableStream, {
    status: 200,
    headers: { "Content-Type": "application/fhir+ndjson", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  });
});
