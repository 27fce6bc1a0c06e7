"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { FileCheck2Icon, UploadCloudIcon, UploadIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { NativeSelect } from "@/components/ui/native-select";
import { Progress } from "@/components/ui/progress";
import { Textarea } from "@/components/ui/textarea";
import { DOCUMENT_TYPES, ZUploadDocumentFields } from "@/core/storage/upload-document.types";
import { cn } from "@/lib/utils";
import { Field, FormError, type FieldErrors } from "../form";
import { acceptAttribute, allowedLabel, checkDocumentFile, contentLabel, DOCUMENT_KIND_LABEL, formatBytes, type UploadLimits } from "./document-files";
import { uploadWithProgress, type Upload } from "./document-requests";
import { initialUploadDialogState, uploadDialogReducer } from "./upload-document-state";


/**
 * Upload Document: a file (picker or drag and drop, checked here for type and size before a
 * byte is sent), its type and a description. The upload shows real progress (XMLHttpRequest
 * upload events) and can be cancelled; a refusal keeps everything the user chose.
 */
export function UploadDocumentDialog({ patientId, limits }: { patientId: string; limits: UploadLimits }) {
  const router = useRouter();
  const [state, dispatch] = React.useReducer(uploadDialogReducer, initialUploadDialogState);
  const { open, chosen, documentType, description, errors, formError, phase, progress, dragging } = state;
  const upload = React.useRef<Upload<unknown> | null>(null);
  const inputRef = React.useRef<HTMLInputElement>(null);
  const busy = phase !== "idle";
  const hint = `${allowedLabel(limits.allowedTypes)}, up to ${formatBytes(limits.maxBytes)}.`;

  async function choose(file: File | undefined) {
    if (!file || busy) return;
    dispatch({ type: "checking" });
    const check = await checkDocumentFile(file, limits);
    if (inputRef.current) inputRef.current.value = ""; // the same file can be chosen again
    dispatch({ type: "checked", result: check.ok ? { ok: true, chosen: { file, type: check.type } } : { ok: false, message: check.message } });
  }

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    const next: FieldErrors = {};
    if (!chosen) next.file = errors.file ?? "Choose a file to upload.";
    const fields = ZUploadDocumentFields.safeParse({ document_type: documentType, description });
    if (!fields.success) {
      for (const issue of fields.error.issues) {
        const key = String(issue.path[0] ?? "_");
        next[key] ??= key === "document_type" ? "Choose the document's type." : issue.message;
      }
    }
    if (Object.values(next).some(Boolean) || !chosen) {
      dispatch({ type: "invalid", errors: next });
      return;
    }
    const form = new FormData();
    form.append("document_type", documentType);
    if (description.trim()) form.append("description", description.trim());
    // Declare the type the content has (the server refuses a part whose declared type contradicts it).
    form.append("file", new File([chosen.file], chosen.file.name, { type: chosen.type }), chosen.file.name);

    dispatch({ type: "upload_started", total: chosen.file.size });
    const handle = uploadWithProgress(`/api/v1/patients/${patientId}/documents`, form, (p) => dispatch({ type: "progress", progress: p }));
    upload.current = handle;
    const r = await handle.result;
    upload.current = null;
    if (r.ok) {
      toast.success("Document uploaded. It is pending review.");
      dispatch({ type: "uploaded" });
      router.refresh();
      return;
    }
    if (r.error.code === "aborted") {
      dispatch({ type: "aborted" });
      toast.info("Upload cancelled. Nothing was saved.");
      return;
    }
    const fieldErrors: FieldErrors = { ...(r.error.fields ?? {}) };
    if (r.error.status === 413 || r.error.status === 415 || ["empty_file", "missing_file", "invalid_file_name"].includes(r.error.code)) {
      fieldErrors.file = r.error.fields?.file ?? r.error.message;
    }
    dispatch({ type: "failed", errors: fieldErrors, message: r.error.message });
    toast.error("The document was not uploaded.");
  }

  function cancelUpload() {
    upload.current?.abort();
  }

  function onOpenChange(next: boolean) {
    if (!next) cancelUpload(); // closing the dialog stops an upload in flight
    dispatch({ type: "open", open: next });
  }

  const pct = progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;
  const sent = phase === "uploading" && progress.total > 0 && progress.loaded >= progress.total;
  const fileError = errors.file;

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button size="sm">
          <UploadIcon aria-hidden />
          Upload document
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl">
        <DialogHeader>
          <DialogTitle>Upload document</DialogTitle>
          <DialogDescription>Stored encrypted in the patient&apos;s chart, in your name. The patient sees it in their portal.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
          <FormError message={formError} />
          <div className="grid gap-1.5">
            <span className="flex items-center gap-2 text-sm leading-none font-medium">
              File<span aria-hidden className="text-destructive">*</span>
            </span>
            <label
              htmlFor="ud-file"
              data-testid="upload-dropzone"
              data-dragging={dragging || undefined}
              onDragEnter={(e) => {
                e.preventDefault();
                if (!busy) dispatch({ type: "dragging", dragging: true });
              }}
              onDragOver={(e) => {
                e.preventDefault();
                e.dataTransfer.dropEffect = busy ? "none" : "copy";
              }}
              onDragLeave={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget as Node | null)) dispatch({ type: "dragging", dragging: false });
              }}
              onDrop={(e) => {
                e.preventDefault();
                dispatch({ type: "dragging", dragging: false });
                void choose(e.dataTransfer.files[0]);
              }}
              className={cn(
                "border-input bg-muted/30 hover:bg-muted/60 flex cursor-pointer flex-col items-center gap-2 rounded-lg border-2 border-dashed px-4 py-6 text-center text-sm transition-colors",
                "focus-within:border-ring focus-within:ring-ring/50 focus-within:ring-[3px]",
                "data-[dragging]:border-primary data-[dragging]:bg-primary/5",
                fileError && "border-destructive",
                busy && "pointer-events-none opacity-60",
              )}
            >
              {chosen ? (
                <>
                  <FileCheck2Icon aria-hidden className="text-primary size-7" />
                  <span className="font-medium break-all">{chosen.file.name}</span>
                  <span className="text-muted-foreground">
                    {contentLabel(chosen.type)} · {formatBytes(chosen.file.size)} · <span className="text-primary underline underline-offset-4">Choose another file</span>
                  </span>
                </>
              ) : (
                <>
                  <UploadCloudIcon aria-hidden className="text-muted-foreground size-7" />
                  <span>
                    <span className="pointer-coarse:hidden">Drag a file here, or </span>
                    <span className="text-primary font-medium underline underline-offset-4">choose a file</span>
                  </span>
                </>
              )}
              <span id="ud-file-hint" className="text-muted-foreground text-xs">
                {hint}
              </span>
              <input
                ref={inputRef}
                id="ud-file"
                name="file"
                type="file"
                className="sr-only"
                accept={acceptAttribute(limits.allowedTypes)}
                disabled={busy}
                aria-invalid={fileError ? true : undefined}
                aria-describedby={fileError ? "ud-file-error ud-file-hint" : "ud-file-hint"}
                onChange={(e) => void choose(e.target.files?.[0])}
              />
            </label>
            {phase === "checking" && <p className="text-muted-foreground text-xs" role="status">Checking the file…</p>}
            {fileError && (
              <p id="ud-file-error" className="text-destructive text-xs font-medium" role="alert">
                {fileError}
              </p>
            )}
          </div>
          <fieldset disabled={busy} className="grid gap-4">
            <Field id="ud-document_type" label="Document type" error={errors.document_type} required>
              <NativeSelect value={documentType} onChange={(e) => dispatch({ type: "field", name: "document_type", value: e.target.value })}>
                <option value="">Choose a type…</option>
                {DOCUMENT_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {DOCUMENT_KIND_LABEL[t]}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <Field id="ud-description" label="Description" error={errors.description} hint="Shown on the document's card, e.g. “Complete blood count, fasting”.">
              <Textarea rows={2} maxLength={1000} value={description} onChange={(e) => dispatch({ type: "field", name: "description", value: e.target.value })} />
            </Field>
          </fieldset>
          {phase === "uploading" && (
            <div className="grid gap-1.5" data-testid="upload-progress">
              <Progress
                value={pct}
                aria-label="Upload progress"
                getValueLabel={(value) => `${value}%`}
              />
              <p className="text-muted-foreground flex flex-wrap justify-between gap-x-3 text-xs">
                <span aria-live="polite">{sent ? "Sent. Checking and storing the document…" : "Uploading…"}</span>
                <span className="tabular-nums">
                  {pct}% · {formatBytes(progress.loaded)} of {formatBytes(progress.total)}
                </span>
              </p>
            </div>
          )}
          <DialogFooter>
            {phase === "uploading" ? (
              <Button type="button" variant="outline" onClick={cancelUpload}>
                Cancel upload
              </Button>
            ) : (
              <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                Cancel
              </Button>
            )}
            <Button type="submit" disabled={busy}>
              {phase === "uploading" ? "Uploading…" : "Upload"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
