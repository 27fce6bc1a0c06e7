import { open } from "@/core/http/route";
import { NotFoundError } from "@/core/errors";
import { verifyPrescription } from "@/core/signing/verify-prescription";
import { ZVerificationCodeParam } from "@/core/signing/verify-prescription.types";

export const dynamic = "force-dynamic";

/**
 * GET /api/v1/verify/{code}: the public check of a printed prescription (no account).
 * Unknown and malformed codes both answer 404 "not_found"; throttled per IP (429).
 */
export const GET = open<{ code: string }>(async ({ params, context }) => {
  // An over-long code is malformed: looked up (throttled, audited) as the empty code, like any other.
  const parsed = ZVerificationCodeParam.safeParse(params.code);
  const result = await verifyPrescription(parsed.success ? params.code : "", context);
  if (!result.found) throw new NotFoundError("prescription");
  return Response.json(result, { headers: { "Cache-Control": "no-store" } });
});
