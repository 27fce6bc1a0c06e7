import Link from "next/link";
import { Suspense } from "react";
import { ChevronLeftIcon, ChevronRightIcon, DownloadIcon, ScrollTextIcon, TriangleAlertIcon } from "lucide-react";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/app/empty-state";
import { TableSkeleton } from "@/components/app/skeletons";
import { AuditFilters } from "@/components/app/admin/audit-filters";
import { AuditStatusCard, type AuditStatusView } from "@/components/app/admin/audit-status-card";
import { AuditTable, type AuditRowView } from "@/components/app/admin/audit-table";
import { auditSearch, exportHref, filtersFromParams, type AuditFilterValues } from "@/components/app/admin/audit-query";
import { getAuditStatus } from "@/core/audit/audit-status";
import { parseAuditTrailQuery, viewAuditTrail, type AuditTrailQuery } from "@/core/audit/view-audit-trail";
import type { AuditRecordView } from "@/core/audit/list-audit-records.types";
import { BadRequestError } from "@/core/errors";
import { log } from "@/core/log";
import { pageViewer } from "../../_lib/viewer";
import { MfaRequired } from "../_mfa-gate";
import { findAuditActors, findAuditPatients } from "./actions";
import { adminMetadata, adminOnly } from "../_admin-only";

export const generateMetadata = adminMetadata("Audit trail");

type SP = Promise<Record<string, string | string[] | undefined>>;

export default async function AuditPage({ searchParams }: { searchParams: SP }) {
  await adminOnly(); // before anything of the page renders
  return (
    <div className="grid min-w-0 gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Audit trail</h1>
        <p className="text-muted-foreground text-sm">
          Every read and change of patient records and every account event: who, what, when and from where. Viewing this page is recorded too.
        </p>
      </div>
      <Suspense fallback={<TableSkeleton />}>
        <Audit searchParams={searchParams} />
      </Suspense>
    </div>
  );
}

const PARAM_LABEL: Record<string, string> = {
  actor: "Actor",
  patient: "Patient",
  action: "Action",
  table: "Table",
  from: "From",
  to: "To",
  limit: "Rows per page",
  cursor: "Page position",
  _: "Filters",
};

function toRow(r: AuditRecordView): AuditRowView {
  const records = Array.isArray(r.details?.records) ? (r.details.records as unknown[]).map(String) : [];
  const reason = typeof r.details?.service_reason === "string" ? r.details.service_reason : null;
  return {
    id: r.id,
    occurred_at: r.occurred_at,
    actor: r.actor,
    actor_role: r.actor_role,
    action: r.action,
    table: r.table,
    record_id: r.record_id,
    patient_id: r.patient_id,
    records,
    service_reason: reason,
    request_id: r.request_id,
  };
}

async function Audit({ searchParams }: { searchParams: SP }) {
  const { session, viewer, context } = await pageViewer(["admin"]);
  if (session.aal !== "aal2") return <MfaRequired enabled={viewer.mfaEnabled} />;
  const params = await searchParams;
  const raw = filtersFromParams(params);

  let query: AuditTrailQuery | null = null;
  let invalid: Record<string, string> | null = null;
  try {
    query = parseAuditTrailQuery(params);
  } catch (e) {
    if (!(e instanceof BadRequestError)) throw e;
    invalid = e.fields ?? { _: "are malformed" };
  }

  const statusPromise: Promise<AuditStatusView | null> = getAuditStatus(session, context).catch((e: unknown) => {
    log.error({ requestId: context.requestId, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, "audit status card failed");
    return null;
  });
  const [status, page] = await Promise.all([statusPromise, query ? viewAuditTrail(session, query, context) : Promise.resolve(null)]);

  const statusCard = status ? (
    <AuditStatusCard status={status} />
  ) : (
    <Alert variant="destructive">
      <TriangleAlertIcon aria-hidden />
      <AlertTitle>The checkpoint status could not be read</AlertTitle>
      <AlertDescription>Run <code>npm run audit:verify</code> on the server to check the trail.</AlertDescription>
    </Alert>
  );

  if (!page || invalid) {
    const fields = invalid ?? {};
    const known = Object.fromEntries(Object.entries(fields).filter(([k]) => k in PARAM_LABEL));
    return (
      <>
        <Alert variant="destructive" data-testid="audit-invalid">
          <TriangleAlertIcon aria-hidden />
          <AlertTitle>Some filters in the address are not valid</AlertTitle>
          <AlertDescription>
            <ul className="list-disc pl-5">
              {Object.entries(fields).map(([k, msg]) => (
                <li key={k}>{k in PARAM_LABEL ? `${PARAM_LABEL[k]} ${msg}.` : `“${k.slice(0, 40)}” is not a known filter.`}</li>
              ))}
            </ul>
            <p className="mt-2">
              Fix them below, or <Link href="/admin/audit" prefetch={false} className="font-medium underline underline-offset-4">clear all filters</Link>.
            </p>
          </AlertDescription>
        </Alert>
        <AuditFilters
          initial={sanitize(raw, known)}
          actor={null}
          patient={null}
          findActors={findAuditActors}
          findPatients={findAuditPatients}
          errors={known}
        />
        {statusCard}
      </>
    );
  }

  const filters: AuditFilterValues = raw;
  const patientFilter = query?.patient
    ? { id: query.patient, label: page.patientNames[query.patient] ?? "Unknown patient", detail: "patient" }
    : null;
  const actorFilter = page.actorFilter
    ? { id: page.actorFilter.id, label: page.actorFilter.name, detail: page.actorFilter.role }
    : query?.actor
      ? { id: query.actor, label: "Unknown account", detail: "id" }
      : null;
  const filtered = Object.keys(filters).some((k) => k !== "limit");
  const paged = Boolean(params.cursor || params.before);
  const rows = page.records.map(toRow);

  return (
    <>
      {/* Keyed by the query: applying filters resets the form to what the page shows. */}
      <AuditFilters
        key={auditSearch(filters)}
        initial={filters}
        actor={actorFilter}
        patient={patientFilter}
        findActors={findAuditActors}
        findPatients={findAuditPatients}
      />
      <section aria-labelledby="audit-records" className="grid min-w-0 gap-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="audit-records" className="text-lg font-semibold">
            Records{filtered ? " matching the filters" : ""}
          </h2>
          <Button asChild variant="outline" size="sm">
            <a href={exportHref(filters)} download data-testid="audit-export">
              <DownloadIcon aria-hidden /> Download CSV
            </a>
          </Button>
        </div>
        {rows.length === 0 ? (
          <EmptyState
            icon={ScrollTextIcon}
            title={paged ? "No more records on this page" : filtered ? "No records match these filters" : "The audit trail is empty"}
            action={
              filtered || paged ? (
                <Button asChild variant="outline">
                  <Link prefetch={false} href={paged ? `/admin/audit${auditSearch(filters)}` : "/admin/audit"}>{paged ? "Back to the newest records" : "Clear the filters"}</Link>
                </Button>
              ) : undefined
            }
          >
            {filtered ? "Widen the date range, or remove a filter." : "Records appear here as soon as anyone signs in or opens a record."}
          </EmptyState>
        ) : (
          <AuditTable rows={rows} patientNames={page.patientNames} caption={`Audit records, newest first${filtered ? ", filtered" : ""}`} />
        )}
        <nav aria-label="Audit trail pages" className="flex flex-wrap items-center justify-between gap-2">
          {page.newer ? (
            <Button asChild variant="outline" size="sm">
              <Link href={`/admin/audit${auditSearch(filters, { before: page.newer })}`} rel="prev" prefetch={false}>
                <ChevronLeftIcon aria-hidden /> Previous page
              </Link>
            </Button>
          ) : (
            <Button variant="outline" size="sm" disabled>
              <ChevronLeftIcon aria-hidden /> Previous page
            </Button>
          )}
          <p className="text-muted-foreground text-sm" aria-live="polite">
            {rows.length === 0 ? "No records" : `${rows.length} record${rows.length === 1 ? "" : "s"}, newest first`}
          </p>
          {page.older ? (
            <Button asChild variant="outline" size="sm">
              <Link href={`/admin/audit${auditSearch(filters, { cursor: page.older })}`} rel="next" prefetch={false}>
                Next page <ChevronRightIcon aria-hidden />
              </Link>
            </Button>
          ) : (
            <Button variant="outline" size="sm" disabled>
              Next page <ChevronRightIcon aria-hidden />
            </Button>
          )}
        </nav>
      </section>
      {statusCard}
    </>
  );
}

/** Malformed values are not shown back in the form (they may be anything someone typed into the address). */
function sanitize(raw: AuditFilterValues, invalid: Record<string, string>): AuditFilterValues {
  const out: AuditFilterValues = {};
  for (const [k, v] of Object.entries(raw) as [keyof AuditFilterValues, string][]) {
    if (!(k in invalid) && k !== "actor" && k !== "patient") out[k] = v;
  }
  return out;
}
