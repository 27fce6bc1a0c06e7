import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { CheckCircle2Icon, OctagonXIcon } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { credentialLabel } from "@/core/clinical/prescription-pdf-layout";
import { AppError } from "@/core/errors";
import { requestContext } from "@/core/http/route";
import { verifyPrescription } from "@/core/signing/verify-prescription";
import { ZVerificationCodeParam } from "@/core/signing/verify-prescription.types";
import { Shell } from "./verify-shell";

export const metadata = { title: "Verify a prescription" };

const STATUS = {
  active: "Active",
  completed: "Completed",
  discontinued: "Discontinued",
} as const;

/**
 * The public check of a printed prescription: a pharmacist scans the QR code or types the
 * address. No account. Shows whether the prescription exists, its status now and the
 * prescriber; of the patient, initials and birth year only. Unknown and malformed codes
 * render the same "not found" (this route's not-found.tsx, HTTP 404).
 */
export default async function VerifyPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  const context = requestContext(new Request("http://verify.invalid/", { headers: await headers() }));
  let result;
  try {
    const parsed = ZVerificationCodeParam.safeParse(code);
    result = await verifyPrescription(parsed.success ? code : "", context);
  } catch (e) {
    if (e instanceof AppError && e.status === 429) return <Throttled />;
    throw e;
  }
  if (!result.found) notFound();

  const stopped = result.status !== "active";
  return (
    <Shell>
      <Card>
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-xl">
            {stopped ? (
              <OctagonXIcon aria-hidden className="size-6 shrink-0 text-red-700" />
            ) : (
              <CheckCircle2Icon aria-hidden className="size-6 shrink-0 text-green-700" />
            )}
            <h1>{stopped ? `Prescription ${STATUS[result.status].toLowerCase()}` : "Prescription is active"}</h1>
          </CardTitle>
          <CardDescription>
            {stopped
              ? `This prescription was issued by the clinic and is authentic, but it was ${STATUS[result.status].toLowerCase()} on ${result.status_date ?? "an earlier date"}. Do not dispense from it.`
              : "This prescription was issued by the clinic and is active now."}
          </CardDescription>
        </CardHeader>
        <CardContent>
          <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_1fr]" data-testid="verification">
            <dt className="text-muted-foreground">Status</dt>
            <dd className="font-medium" data-testid="verify-status">
              {STATUS[result.status]}
              {result.status_date ? ` on ${result.status_date}` : ""}
            </dd>
            <dt className="text-muted-foreground">Issued</dt>
            <dd className="font-medium">{result.issued_on}</dd>
            <dt className="text-muted-foreground">Document</dt>
            <dd className="font-mono font-medium">{result.short_id}</dd>
            <dt className="text-muted-foreground">Prescriber</dt>
            <dd className="font-medium" data-testid="verify-prescriber">
              {result.prescriber.name ?? "—"}
            </dd>
            <dt className="text-muted-foreground">Credential</dt>
            <dd className="font-medium">{credentialLabel(result.prescriber.credential)}</dd>
            <dt className="text-muted-foreground">Licence number</dt>
            <dd className="font-medium">{result.prescriber.license_number ?? "—"}</dd>
            <dt className="text-muted-foreground">Patient</dt>
            <dd className="font-medium" data-testid="verify-patient">
              {result.patient.initials}, born {result.patient.birth_year}
            </dd>
          </dl>
          <p className="text-muted-foreground mt-6 text-xs">
            Compare these details with the paper or PDF. The PDF also carries the clinic&apos;s digital signature, which any PDF reader can check.
          </p>
        </CardContent>
      </Card>
    </Shell>
  );
}

function Throttled() {
  return (
    <Shell>
      <Card role="status">
        <CardHeader>
          <CardTitle className="text-xl">
            <h1>Too many lookups</h1>
          </CardTitle>
          <CardDescription>Too many prescriptions were checked from your network in a short time. Wait a few minutes, then reload this page.</CardDescription>
        </CardHeader>
      </Card>
    </Shell>
  );
}
