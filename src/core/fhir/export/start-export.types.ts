import { z } from "zod";

/** The Bulk Data kick-off parameters Carebase understands; any other is refused (400). */
export const ZExportKickOff = z.strictObject({
  _type: z.string().max(1000).optional(),
  _since: z.iso.datetime({ offset: true, message: "must be a FHIR instant with a time zone, e.g. 2026-01-01T00:00:00Z" }).optional(),
  _outputFormat: z.enum(["application/fhir+ndjson", "application/ndjson", "ndjson"], "must be application/fhir+ndjson").optional(),
});
export type TExportKickOff = z.infer<typeof ZExportKickOff>;

export type ExportLevel = "system" | "patient";
