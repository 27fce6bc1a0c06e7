import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { renderPrescriptionPdf } from "@/core/clinical/prescription-pdf";
import { env } from "@/core/config/env";

export const dynamic = "force-dynamic";

export const GET = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const publicUrl = env().PUBLIC_URL ?? new URL(req.url).origin;
  const pdf = await renderPrescriptionPdf(session, parseId(params.id, "prescription id"), context, publicUrl);
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
