import { authed } from "@/core/http/route";
import { BASE_HEADERS } from "@/core/http/respond";
import { NotFoundError } from "@/core/errors";
import { downloadMyRecord } from "@/core/fhir/my-record";

export const dynamic = "force-dynamic";

/** GET /my-records/download/fhir (my-record.json) and /my-records/download/pdf (a readable summary): the signed-in patient's own record. */
export const GET = authed<{ format: string }>(async ({ req, params, session, context }) => {
  if (params.format !== "fhir" && params.format !== "pdf") throw new NotFoundError("download");
  const file = await downloadMyRecord(session, params.format, req.url, context);
  return new Response(file.bytes as BodyInit, {
    headers: { ...BASE_HEADERS, "Content-Type": file.contentType, "Content-Disposition": `attachment; filename="${file.fileName}"` },
  });
});
