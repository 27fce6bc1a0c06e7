"use client";

import { PillIcon, PrinterIcon, SquareIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
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
  prescriber_name: string | null;
}

export function StatusBadge({ active }: { active: boolean }) {
  return active ? <Badge variant="success">Active</Badge> : <Badge variant="muted">Inactive</Badge>;
}

/** Prescriptions; `canChange` (attending/specialist) shows Stop; everyone who sees one can print it. */
export function PrescriptionsTable({ prescriptions, canChange, emptyHint }: { prescriptions: PrescriptionView[]; canChange: boolean; emptyHint: string }) {
  const { busy, run } = useApiAction();
  if (prescriptions.length === 0) return <EmptyState icon={PillIcon} title="No prescriptions">{emptyHint}</EmptyState>;

  const stop = (id: string) => run(id, `/api/v1/prescriptions/${id}`, { method: "PATCH", body: { is_active: false } }, "Prescription stopped.");

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
              <TableCell className="font-medium">{rx.medication}</TableCell>
              <TableCell>{rx.dosage}</TableCell>
              <TableCell>{rx.frequency}</TableCell>
              <TableCell>{formatDate(rx.start_date)}</TableCell>
              <TableCell>{formatDate(rx.end_date)}</TableCell>
              <TableCell>
                <StatusBadge active={rx.is_active} />
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
                    <Button variant="outline" size="sm" disabled={busy === rx.id} onClick={() => void stop(rx.id)} aria-label={`Stop ${rx.medication}`}>
                      <SquareIcon aria-hidden />
                      Stop
                    </Button>
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
