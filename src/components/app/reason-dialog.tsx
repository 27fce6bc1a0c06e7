"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import type { z } from "zod";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Textarea } from "@/components/ui/textarea";
import { Field, FormError } from "./form";
import { useJsonForm } from "./use-json-form";

/**
 * A destructive action that needs a reason (kept in the audit trail): a trigger button, a
 * dialog that says what will happen, a required reason checked with the server's zod
 * schema, then the request; on success a toast and a refresh of the page's data.
 */
export function ReasonDialog({
  trigger,
  title,
  description,
  fieldId,
  hint,
  maxLength,
  rows = 3,
  schema,
  path,
  method,
  extraBody,
  confirmLabel,
  busyLabel,
  cancelLabel = "Cancel",
  successMessage,
}: {
  trigger: React.ReactNode;
  title: string;
  description: React.ReactNode;
  fieldId: string;
  hint: string;
  maxLength: number;
  rows?: number;
  schema: z.ZodType<{ reason: string }>;
  path: string;
  method: "POST" | "DELETE" | "PATCH";
  /** Sent with the reason (e.g. `{status: "discontinued"}`). */
  extraBody?: Record<string, unknown>;
  confirmLabel: string;
  busyLabel: string;
  cancelLabel?: string;
  successMessage: string;
}) {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const refreshOnClose = React.useRef(false);
  const f = useJsonForm({ reason: "" });

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit(schema, { reason: f.values.reason }, path, method, extraBody ? { send: (p) => ({ ...extraBody, ...p }) } : {});
    if (r?.ok) {
      toast.success(successMessage);
      // Refreshed once the dialog has closed (onCloseAutoFocus): a refresh that removes the
      // row holding this dialog mid-close left the page unclickable (modal pointer lock).
      refreshOnClose.current = true;
      setOpen(false);
      f.setValues({ reason: "" });
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent
        onCloseAutoFocus={() => {
          if (!refreshOnClose.current) return;
          refreshOnClose.current = false;
          router.refresh();
        }}
      >
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={f.formError} />
          <Field id={fieldId} label="Reason" error={f.errors.reason} hint={hint} required>
            <Textarea rows={rows} maxLength={maxLength} {...f.bind("reason")} />
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              {cancelLabel}
            </Button>
            <Button type="submit" variant="destructive" disabled={f.busy}>
              {f.busy ? busyLabel : confirmLabel}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
