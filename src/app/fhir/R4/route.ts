import { BadRequestError, UnsupportedMediaTypeError } from "@/core/errors";
import { importBundle } from "@/core/fhir/import/import-bundle";
import { MAX_BUNDLE_BYTES } from "@/core/fhir/import/import-bundle.types";
import { transactionResponse } from "@/core/fhir/import/transaction-response";
import { fhirJson } from "@/core/fhir/respond";
import { fhirAuthed } from "@/core/fhir/route";
import { readBodyText } from "@/core/http/parse";

export const dynamic = "force-dynamic";

/** POST /fhir/R4 with a transaction Bundle: imported all or nothing (docs/fhir-import-export.md). */
export const POST = fhirAuthed(async ({ req, session, context }) => {
  if (!/^application\/(fhir\+)?json\b/i.test(req.headers.get("content-type") ?? "")) {
    throw new UnsupportedMediaTypeError("Send the Bundle as application/fhir+json.");
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(await readBodyText(req, MAX_BUNDLE_BYTES));
  } catch (e) {
    if (e instanceof SyntaxError) throw new BadRequestError("The body is not valid JSON.", "invalid_json");
    throw e;
  }
  return fhirJson(transactionResponse(await importBundle(session, bundle, context)), 200);
});
