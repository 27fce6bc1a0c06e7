import { DOCUMENT_TYPES } from "@/core/storage/upload-document.types";

/**
 * What the browser checks before a document is sent: size, and the type by the file's
 * first bytes (as the server decides it), so a wrong file is refused without uploading
 * it. The server checks everything again; these checks only save the user the wait.
 */

export type DocumentKind = (typeof DOCUMENT_TYPES)[number];
export type DocumentContentType = "application/pdf" | "image/jpeg" | "image/png";

/** The server's configured limits (MAX_UPLOAD_BYTES, ALLOWED_DOCUMENT_TYPES), passed down by the page. */
export interface UploadLimits {
  maxBytes: number;
  allowedTypes: readonly string[];
}

export const DOCUMENT_KIND_LABEL: Record<DocumentKind, string> = {
  lab_result: "Lab result",
  imaging: "Imaging",
  referral: "Referral",
  consent: "Consent",
  insurance: "Insurance",
  other: "Other",
};

export function documentKindLabel(kind: string): string {
  return (DOCUMENT_KIND_LABEL as Record<string, string>)[kind] ?? kind.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

const CONTENT_LABEL: Record<string, string> = { "application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG" };
const EXTENSIONS: Record<DocumentContentType, string[]> = {
  "application/pdf": [".pdf"],
  "image/jpeg": [".jpg", ".jpeg", ".jpe"],
  "image/png": [".png"],
};

export function contentLabel(type: string): string {
  return CONTENT_LABEL[type] ?? "File";
}

/** "PDF, JPEG or PNG" for the allowed types. */
export function allowedLabel(types: readonly string[]): string {
  const labels = types.map(contentLabel);
  return labels.length <= 1 ? (labels[0] ?? "") : `${labels.slice(0, -1).join(", ")} or ${labels[labels.length - 1]}`;
}

/** The file picker's `accept`: extensions and types of the allowed kinds. */
export function acceptAttribute(types: readonly string[]): string {
  return types.flatMap((t) => [...(EXTENSIONS[t as DocumentContentType] ?? []), t]).join(",");
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) {
    const mb = n / (1024 * 1024);
    return `${mb.toFixed(1).replace(/\.0$/, "")} MB`;
  }
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} byte${n === 1 ? "" : "s"}`;
}

const SIGNATURES: { type: DocumentContentType; magic: number[] }[] = [
  { type: "application/pdf", magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: "image/png", magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "image/jpeg", magic: [0xff, 0xd8, 0xff] },
];

/** The same magic-byte rule as the server's sniffContentType (src/core/storage/content-type.ts). */
export function sniffDocumentType(head: Uint8Array): DocumentContentType | undefined {
  return SIGNATURES.find((s) => head.length >= s.magic.length && s.magic.every((b, i) => head[i] === b))?.type;
}

function typeOfName(name: string): DocumentContentType | undefined {
  const m = /(\.[A-Za-z0-9]{1,8})$/.exec(name);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  return (Object.keys(EXTENSIONS) as DocumentContentType[]).find((t) => EXTENSIONS[t].includes(ext));
}

export type FileCheck = { ok: true; type: DocumentContentType } | { ok: false; message: string };

/** Size first (nothing is read of a file that is too big), then the first bytes. */
export async function checkDocumentFile(file: Blob & { name: string }, limits: UploadLimits): Promise<FileCheck> {
  if (file.size === 0) return { ok: false, message: "This file is empty. Choose another file." };
  if (file.size > limits.maxBytes) {
    const size = formatBytes(file.size);
    const max = formatBytes(limits.maxBytes);
    return { ok: false, message: size === max ? `This file is just over the ${max} limit for documents.` : `This file is ${size}; the limit for documents is ${max}.` };
  }
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const sniffed = sniffDocumentType(head);
  if (!sniffed || !limits.allowedTypes.includes(sniffed)) {
    return { ok: false, message: `Only ${allowedLabel(limits.allowedTypes)} files can be uploaded.` };
  }
  const byName = typeOfName(file.name);
  if (byName && byName !== sniffed) {
    return { ok: false, message: `This file's content is ${contentLabel(sniffed)}, but its name says ${contentLabel(byName)}. Rename it or choose another file.` };
  }
  return { ok: true, type: sniffed };
}
