import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { renderPrescriptionPdf } from "@/core/clinical/prescription-pdf";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ params, session, context }) => {
  const pdf = await renderPrescriptionPdf(session, parseId(params.id, "prescription id"), context);
  return new Response(Buffer.from(pdf.bytes), {
    status: 200,
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `inline; filename="${pdf.filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
});
