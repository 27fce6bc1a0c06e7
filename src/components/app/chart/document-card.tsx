"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { CheckCheckIcon, CheckIcon, ClockIcon, DownloadIcon, FileImageIcon, FileTextIcon } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter, CardHeader } from "@/components/ui/card";
import { contentLabel, documentKindLabel, formatBytes } from "./document-files";
import { DeleteDocumentDialog } from "./document-delete-dialog";
import { api } from "../api-client";
import { formatDate } from "../format";
import { useTimeZone } from "../time-zone";

/** A document as the API lists it (the object key never leaves the server). */
export interface DocumentItem {
  id: string;
  document_type: string;
  description: string | null;
  file_name: string | null;
  content_type: string;
  size_bytes: number;
  uploaded_at: string | Date;
  uploaded_by_name: string | null;
  reviewed_at: string | Date | null;
}

export interface DocumentPermissions {
  /** Providers on the care team: "Mark reviewed" on pending documents. */
  canReview?: boolean;
  /** Attending members: soft delete with a reason. */
  canDelete?: boolean;
  /** "staff" shows pending reviews; "patient" shows only that a document was reviewed. */
  audience: "staff" | "patient";
}

/** The clinic's calendar day an instant fell on (the same text on the server and in the browser). */
function LocalDate({ value }: { value: string | Date }) {
  const timeZone = useTimeZone();
  return <time dateTime={new Date(value).toISOString()}>{formatDate(new Date(value), timeZone)}</time>;
}

/**
 * One document. Download asks for a fresh signed URL on every click (issued only to those
 * who can read the document, audited, short-lived) and lets the browser download it.
 */
export function DocumentCard({ doc, permissions }: { doc: DocumentItem; permissions: DocumentPermissions }) {
  const router = useRouter();
  const [busy, setBusy] = React.useState<"download" | "review" | null>(null);
  const title = doc.description ?? doc.file_name ?? "Untitled document";
  const titleId = `doc-${doc.id}-title`;
  const reviewed = doc.reviewed_at !== null;
  const Icon = doc.content_type.startsWith("image/") ? FileImageIcon : FileTextIcon;

  async function download() {
    setBusy("download");
    const r = await api<{ url: string }>(`/api/v1/documents/${doc.id}/signed-url`, { method: "POST", body: {} });
    setBusy(null);
    if (!r.ok) {
      toast.error(r.error.message);
      return;
    }
    // Same-origin path only: the `download` attribute keeps the user on this page.
    const url = new URL(r.data.url, window.location.href);
    const a = document.createElement("a");
    a.href = url.pathname + url.search;
    a.download = doc.file_name ?? "";
    a.rel = "noopener";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function review() {
    setBusy("review");
    const r = await api(`/api/v1/documents/${doc.id}/review`, { method: "POST", body: {} });
    setBusy(null);
    if (r.ok) {
      toast.success("Marked as reviewed.");
      router.refresh();
    } else toast.error(r.error.message);
  }

  return (
    <Card className="h-full gap-3 py-4" aria-labelledby={titleId} data-testid="document-card" role="article">
      <CardHeader className="flex items-start gap-3 px-4">
        <span aria-hidden className="bg-primary/10 text-primary grid size-10 shrink-0 place-items-center rounded-lg">
          <Icon className="size-5" />
        </span>
        <div className="grid min-w-0 flex-1 gap-1.5">
          <div className="flex flex-wrap items-center gap-1.5">
            <Badge variant="outline">{documentKindLabel(doc.document_type)}</Badge>
            {reviewed ? (
              <Badge variant="success">
                <CheckIcon aria-hidden />
                Reviewed
              </Badge>
            ) : (
              permissions.audience === "staff" && (
                <Badge variant="secondary">
                  <ClockIcon aria-hidden />
                  Pending review
                </Badge>
              )
            )}
          </div>
          <h3 id={titleId} className="leading-snug font-semibold break-words">
            {title}
          </h3>
          {doc.description && doc.file_name && (
            <p className="text-muted-foreground truncate text-xs" title={doc.file_name}>
              {doc.file_name}
            </p>
          )}
        </div>
      </CardHeader>
      <CardContent className="px-4 text-sm">
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
          <dt className="text-muted-foreground">Uploaded</dt>
          <dd>
            <LocalDate value={doc.uploaded_at} />
            {doc.uploaded_by_name && <> by {doc.uploaded_by_name}</>}
          </dd>
          <dt className="text-muted-foreground">File</dt>
          <dd>
            {contentLabel(doc.content_type)} · {formatBytes(doc.size_bytes)}
          </dd>
          {doc.reviewed_at && (
            <>
              <dt className="text-muted-foreground">Reviewed</dt>
              <dd>
                <LocalDate value={doc.reviewed_at} />
              </dd>
            </>
          )}
        </dl>
      </CardContent>
      <CardFooter className="mt-auto flex flex-wrap gap-2 px-4">
        <Button variant="outline" size="sm" disabled={busy === "download"} aria-label={`${busy === "download" ? "Preparing" : "Download"} ${title}`} onClick={() => void download()}>
          <DownloadIcon aria-hidden />
          {busy === "download" ? "Preparing…" : "Download"}
        </Button>
        {permissions.canReview && !reviewed && (
          <Button variant="secondary" size="sm" disabled={busy === "review"} aria-label={`Mark ${title} reviewed`} onClick={() => void review()}>
            <CheckCheckIcon aria-hidden />
            Mark reviewed
          </Button>
        )}
        {permissions.canDelete && <DeleteDocumentDialog documentId={doc.id} title={title} />}
      </CardFooter>
    </Card>
  );
}
