import type { DocumentContentType } from "./config";

/**
 * The type of a document is decided by its first bytes, never by what the client says.
 * Eight bytes are enough for every accepted type.
 */
export const SNIFF_BYTES = 8;

const SIGNATURES: { type: DocumentContentType; magic: number[] }[] = [
  { type: "application/pdf", magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: "image/png", magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "image/jpeg", magic: [0xff, 0xd8, 0xff] },
];

export function sniffContentType(head: Buffer): DocumentContentType | undefined {
  return SIGNATURES.find((s) => head.length >= s.magic.length && s.magic.every((b, i) => head[i] === b))?.type;
}

const ALIASES: Record<string, DocumentContentType> = {
  "application/pdf": "application/pdf",
  "application/x-pdf": "application/pdf",
  "image/jpeg": "image/jpeg",
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/png": "image/png",
  "image/x-png": "image/png",
};

/**
 * What the client declared for the part. `application/octet-stream` and `text/plain` (what
 * the multipart parser reports for a part without a Content-Type) declare nothing.
 * Returns null for "nothing declared", the canonical type, or "other".
 */
export function declaredType(mime: string | undefined): DocumentContentType | null | "other" {
  const m = (mime ?? "").split(";")[0].trim().toLowerCase();
  if (m === "" || m === "application/octet-stream" || m === "text/plain") return null;
  return ALIASES[m] ?? "other";
}

const EXTENSIONS: Record<string, DocumentContentType> = {
  pdf: "application/pdf",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  jpe: "image/jpeg",
  png: "image/png",
};

export const EXTENSION_FOR: Record<DocumentContentType, string> = {
  "application/pdf": "pdf",
  "image/jpeg": "jpg",
  "image/png": "png",
};

/** The type a file name's extension claims, if it is one we know. */
export function typeOfExtension(name: string): DocumentContentType | undefined {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return m ? EXTENSIONS[m[1].toLowerCase()] : undefined;
}
