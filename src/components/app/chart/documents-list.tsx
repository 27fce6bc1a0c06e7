"use client";

import * as React from "react";
import { DownloadIcon, FileTextIcon } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { api } from "../api-client";
import { EmptyState } from "../empty-state";
import { formatDate, titleCase } from "../format";

export interface DocumentItem {
  id: string;
  document_type: string;
  description: string | null;
  file_name: string | null;
  size_bytes: number;
  uploaded_at: string | Date;
  uploaded_by_name: string | null;
  reviewed_at: string | Date | null;
}

function size(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

/** Documents; downloading asks for a short-lived signed URL (issued only to readers, audited). */
export function DocumentsList({ documents, emptyHint }: { documents: DocumentItem[]; emptyHint: string }) {
  const [busy, setBusy] = React.useState<string | null>(null);
  if (documents.length === 0) return <EmptyState icon={FileTextIcon} title="No documents yet">{emptyHint}</EmptyState>;
  async function download(id: string) {
    setBusy(id);
    const r = await api<{ url: string }>(`/api/v1/documents/${id}/signed-url`, { method: "POST", body: {} });
    setBusy(null);
    if (r.ok) window.location.assign(r.data.url);
    else toast.error(r.error.message);
  }
  return (
    <div className="bg-card rounded-lg border">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Type</TableHead>
            <TableHead>Description</TableHead>
            <TableHead>Uploaded</TableHead>
            <TableHead>Size</TableHead>
            <TableHead>Review</TableHead>
            <TableHead><span className="sr-only">Actions</span></TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {documents.map((d) => (
            <TableRow key={d.id}>
              <TableCell className="font-medium">{titleCase(d.document_type)}</TableCell>
              <TableCell className="max-w-64 truncate">{d.description ?? d.file_name ?? "—"}</TableCell>
              <TableCell>{formatDate(d.uploaded_at)}{d.uploaded_by_name ? ` · ${d.uploaded_by_name}` : ""}</TableCell>
              <TableCell>{size(d.size_bytes)}</TableCell>
              <TableCell>{d.reviewed_at ? <Badge variant="success">Reviewed</Badge> : <Badge variant="secondary">Pending</Badge>}</TableCell>
              <TableCell className="text-right">
                <Button variant="ghost" size="sm" disabled={busy === d.id} onClick={() => void download(d.id)}>
                  <DownloadIcon aria-hidden />
                  Download
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
