"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { Trash2Icon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Textarea } from "@/components/ui/textarea";
import { ZDeleteDocumentRequest } from "@/core/storage/delete-document.types";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";

/** Soft delete by an attending member, with a required reason (kept in the audit trail). */
export function DeleteDocumentDialog({ documentId, title }: { documentId: string; title: string }) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const f = useJsonForm({ reason: "" });
  const fieldId = `dd-reason-${documentId}`;

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(ZDeleteDocumentRequest, { reason: f.values.reason }, `/api/v1/documents/${documentId}`, "DELETE");
    if (r?.ok) {
      toast.success("Document deleted.");
      setOpen(false);
      f.setValues({ reason: "" });
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" className="text-destructive hover:text-destructive" aria-label={`Delete ${title}`}>
          <Trash2Icon aria-hidden />
          Delete
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Delete this document?</DialogTitle>
          <DialogDescription>
            “{title}” disappears from the chart and from the patient&apos;s portal. The file is kept, hidden, until the clinic&apos;s
            retention job removes it; the deletion and your reason are recorded in the audit trail.
          </DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id={fieldId} label="Reason" error={f.errors.reason} hint="For example: “Uploaded to the wrong chart”." required>
            <Textarea rows={3} maxLength={1000} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Keep it
            </Button>
            <Button type="submit" variant="destructive" disabled={f.busy}>
              {f.busy ? "Deleting…" : "Delete document"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
