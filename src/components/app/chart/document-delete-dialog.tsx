"use client";

import { Trash2Icon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ZDeleteDocumentRequest } from "@/core/storage/delete-document.types";
import { ReasonDialog } from "../reason-dialog";

/** Soft delete by an attending member, with a required reason (kept in the audit trail). */
export function DeleteDocumentDialog({ documentId, title }: { documentId: string; title: string }) {
  return (
    <ReasonDialog
      trigger={
        <Button variant="ghost" size="sm" className="text-destructive hover:text-destructive" aria-label={`Delete ${title}`}>
          <Trash2Icon aria-hidden />
          Delete
        </Button>
      }
      title="Delete this document?"
      description={
        <>
          “{title}” disappears from the chart and from the patient&apos;s portal. The file is kept, hidden, until the clinic&apos;s
          retention job removes it; the deletion and your reason are recorded in the audit trail.
        </>
      }
      fieldId={`dd-reason-${documentId}`}
      hint="For example: “Uploaded to the wrong chart”."
      maxLength={1000}
      schema={ZDeleteDocumentRequest}
      path={`/api/v1/documents/${documentId}`}
      method="DELETE"
      cancelLabel="Keep it"
      confirmLabel="Delete document"
      busyLabel="Deleting…"
      successMessage="Document deleted."
    />
  );
}
