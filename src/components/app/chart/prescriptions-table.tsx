"use client";

import { CheckIcon, OctagonXIcon, PillIcon, PrinterIcon, TriangleAlertIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ZDiscontinuePrescriptionForm } from "@/core/clinical/prescriptions.types";
import { ReasonDialog } from "../reason-dialog";
import { useApiAction } from "../use-api-action";
import { EmptyState } from "../empty-state";
import { formatDate } from "../format";

export interface PrescriptionView {
  id: string;
  medication: string;
  dosage: string;
  frequency: string;
  start_date: string | Date;
  end_date: string | Date | null;
  is_active: boolean;
  status?: "active" | "completed" | "discontinued";
  status_reason?: string | null;
  allergy_override_reason?: string | null;
  prescriber_name: string | null;
}

export function StatusBadge({ active, status }: { active: boolean; status?: PrescriptionView["status"] }) {
  if (status === "discontinued") return <Badge variant="destructive">Discontinued</Badge>;
  if (status === "completed") return <Badge variant="muted">Completed</Badge>;
  return active ? <Badge variant="success">Active</Badge> : <Badge variant="muted">Inactive</Badge>;
}

/**
 * Prescriptions; `canChange` (attending/specialist with a prescribing credential) shows
 * Complete and Discontinue (which asks for a reason, as confirmation); everyone who sees one
 * can print it. An allergy override and a discontinuation reason show under the medication.
 */
export function PrescriptionsTable({ prescriptions, canChange, emptyHint }: { prescriptions: PrescriptionView[]; canChange: boolean; emptyHint: string }) {
  const { busy, run } = useApiAction();
  if (prescriptions.length === 0) return <EmptyState icon={PillIcon} title="No prescriptions">{emptyHint}</EmptyState>;

  const complete = (id: string) => run(id, `/api/v1/prescriptions/${id}`, { method: "PATCH", body: { status: "completed" } }, "Prescription marked completed.");

  return (
    <div className="bg-card rounded-lg border">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Medication</TableHead>
            <TableHead>Dosage</TableHead>
            <TableHead>Frequency</TableHead>
            <TableHead>Start</TableHead>
            <TableHead>End</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Prescriber</TableHead>
            <TableHead><span className="sr-only">Actions</span></TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {prescriptions.map((rx) => (
            <TableRow key={rx.id}>
              <TableCell>
                <div className="font-medium">{rx.medication}</div>
                {rx.allergy_override_reason && (
                  <p className="text-destructive mt-1 flex max-w-xs gap-1 text-xs whitespace-normal">
                    <TriangleAlertIcon aria-hidden className="size-3.5 shrink-0" />
                    <span>Allergy override: {rx.allergy_override_reason}</span>
                  </p>
                )}
                {rx.status === "discontinued" && rx.status_reason && (
                  <p className="text-muted-foreground mt-1 max-w-xs text-xs whitespace-normal">Discontinued: {rx.status_reason}</p>
                )}
              </TableCell>
              <TableCell>{rx.dosage}</TableCell>
              <TableCell>{rx.frequency}</TableCell>
              <TableCell>{formatDate(rx.start_date)}</TableCell>
              <TableCell>{formatDate(rx.end_date)}</TableCell>
              <TableCell>
                <StatusBadge active={rx.is_active} status={rx.status} />
              </TableCell>
              <TableCell>{rx.prescriber_name ?? "—"}</TableCell>
              <TableCell className="text-right">
                <div className="flex justify-end gap-1">
                  <Button asChild variant="ghost" size="sm">
                    <a href={`/api/v1/prescriptions/${rx.id}/pdf`} target="_blank" rel="noopener" aria-label={`Print ${rx.medication} prescription (PDF)`}>
                      <PrinterIcon aria-hidden />
                      PDF
                    </a>
                  </Button>
                  {canChange && rx.is_active && (
                    <>
                      <Button variant="outline" size="sm" disabled={busy === rx.id} onClick={() => void complete(rx.id)} aria-label={`Mark ${rx.medication} completed`}>
                        <CheckIcon aria-hidden />
                        Complete
                      </Button>
                      <ReasonDialog
                        trigger={
                          <Button variant="outline" size="sm" aria-label={`Discontinue ${rx.medication}`}>
                            <OctagonXIcon aria-hidden />
                            Discontinue
                          </Button>
                        }
                        title={`Discontinue ${rx.medication}?`}
                        description="The prescription ends today. The patient sees it as discontinued; the reason is kept on the prescription and in the audit trail."
                        fieldId={`discontinue-${rx.id}`}
                        hint="For example: side effects, no longer needed, replaced by another medication."
                        maxLength={1000}
                        schema={ZDiscontinuePrescriptionForm}
                        path={`/api/v1/prescriptions/${rx.id}`}
                        method="PATCH"
                        extraBody={{ status: "discontinued" }}
                        confirmLabel="Discontinue"
                        busyLabel="Discontinuing…"
                        successMessage="Prescription discontinued."
                      />
                    </>
                  )}
                </div>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
