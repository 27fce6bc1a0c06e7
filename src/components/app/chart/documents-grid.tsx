import * as React from "react";
import { FileTextIcon } from "lucide-react";
import { EmptyState } from "../empty-state";
import { DocumentCard, type DocumentItem, type DocumentPermissions } from "./document-card";

export type { DocumentItem } from "./document-card";

/** Only what the card shows crosses to the browser. */
function pick(d: DocumentItem): DocumentItem {
  return {
    id: d.id,
    document_type: d.document_type,
    description: d.description,
    file_name: d.file_name,
    content_type: d.content_type,
    size_bytes: d.size_bytes,
    uploaded_at: d.uploaded_at,
    uploaded_by_name: d.uploaded_by_name,
    reviewed_at: d.reviewed_at,
  };
}

/** A patient's documents as a responsive grid of cards, newest first (as listDocuments returns them). */
export function DocumentsGrid({
  documents,
  emptyHint,
  emptyAction,
  ...permissions
}: { documents: DocumentItem[]; emptyHint: string; emptyAction?: React.ReactNode } & DocumentPermissions) {
  if (documents.length === 0) {
    return (
      <EmptyState icon={FileTextIcon} title="No documents yet" action={emptyAction}>
        {emptyHint}
      </EmptyState>
    );
  }
  return (
    <ul aria-label="Documents" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
      {documents.map((d) => (
        <li key={d.id} className="min-w-0">
          <DocumentCard doc={pick(d)} permissions={permissions} />
        </li>
      ))}
    </ul>
  );
}
