import Link from "next/link";
import { Suspense } from "react";
import { SirenIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/app/empty-state";
import { LocalTime } from "@/components/app/local-time";
import { TableSkeleton } from "@/components/app/skeletons";
import { ReviewEmergencyForm } from "@/components/app/emergency/review-form";
import { CREDENTIAL_LABELS, type TProviderCredential } from "@/core/auth/provider-credentials";
import { listEmergencyGrants } from "@/core/emergency/emergency-access";
import type { AdminEmergencyGrant } from "@/core/emergency/emergency.types";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";

export const metadata = { title: "Emergency access review" };

export default function EmergencyAccessReviewPage() {
  return (
    <div className="grid min-w-0 gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Emergency access review</h1>
        <p className="text-muted-foreground text-sm">Every break-the-glass access: who, to which chart, why, the reads made under it, and your review.</p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Grants />
      </Suspense>
    </div>
  );
}

const STATE: Record<AdminEmergencyGrant["state"], { label: string; variant: "destructive" | "secondary" | "outline" }> = {
  active: { label: "Active", variant: "destructive" },
  ended: { label: "Ended early", variant: "secondary" },
  expired: { label: "Expired", variant: "outline" },
};

async function Grants() {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const grants = await listEmergencyGrants(session, context);
  if (grants.length === 0) {
    return <EmptyState icon={SirenIcon} title="No emergency access yet">When a provider breaks the glass on a chart, it appears here for review.</EmptyState>;
  }
  const unreviewed = grants.filter((g) => !g.review.reviewed_at);
  const ordered = [...unreviewed, ...grants.filter((g) => g.review.reviewed_at)];
  return (
    <>
      <p className="text-sm" role="status">
        {unreviewed.length === 0 ? "Every emergency access has been reviewed." : `${unreviewed.length} to review.`}
      </p>
      <ul className="grid gap-4" aria-label="Emergency accesses">
        {ordered.map((g) => (
          <li key={g.id}>
            <Card data-testid="emergency-grant" className="gap-3">
              <CardHeader className="flex flex-wrap items-start justify-between gap-2">
                <div className="min-w-0">
                  <CardTitle>
                    <h2 className="break-words">
                      <Link href={`/patients/${g.patient_id}`} prefetch={false} className="underline underline-offset-4">{g.patient_name}</Link>{" "}
                      <span className="text-muted-foreground text-sm font-normal">MRN {g.mrn}</span>
                    </h2>
                  </CardTitle>
                  <CardDescription>
                    By {g.provider_name}
                    {g.credential ? ` (${CREDENTIAL_LABELS[g.credential as TProviderCredential] ?? g.credential})` : ""}, <LocalTime value={g.created_at} />
                  </CardDescription>
                </div>
                <Badge variant={STATE[g.state].variant}>{STATE[g.state].label}</Badge>
              </CardHeader>
              <CardContent className="grid gap-3 md:grid-cols-[1fr_18rem]">
                <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                  <dt className="text-muted-foreground">Reason</dt>
                  <dd className="break-words">{g.reason}</dd>
                  <dt className="text-muted-foreground">Until</dt>
                  <dd>{g.ended_at ? <>ended <LocalTime value={g.ended_at} /></> : <LocalTime value={g.expires_at} />}</dd>
                  <dt className="text-muted-foreground">Reads</dt>
                  <dd data-testid="emergency-reads">{g.reads}</dd>
                  {g.review.reviewed_at && (
                    <>
                      <dt className="text-muted-foreground">Review</dt>
                      <dd>
                        {g.review.outcome === "appropriate" ? "Appropriate" : "Inappropriate"}, by {g.review.reviewer_name ?? "an administrator"}
                        {g.review.note ? `: ${g.review.note}` : ""}
                      </dd>
                    </>
                  )}
                </dl>
                {!g.review.reviewed_at && <ReviewEmergencyForm grantId={g.id} />}
              </CardContent>
            </Card>
          </li>
        ))}
      </ul>
    </>
  );
}
