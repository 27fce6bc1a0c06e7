import { ValidationError } from "../errors";
import { EXTENSION_FOR, typeOfExtension } from "./content-type";
import type { DocumentContentType } from "./config";

/**
 * A client's file name is metadata only (the object's key is `<patient_id>/<uuid>`), but it
 * comes back in Content-Disposition. Names that try to be paths are refused outright;
 * the rest is cleaned: no control or reserved characters, no bidirectional-text controls
 * (which can make "scan<U+202E>fdp.exe" display as "scanexe.pdf"), bounded length, and an
 * extension that matches the content.
 */

/** LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM and ALM: invisible, and they reorder what is shown. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function assertPlainFileName(raw: string | undefined): void {
  const name = raw ?? "";
  // eslint-disable-next-line no-control-regex
  if (/[/\\]|[\u0000-\u001f\u007f]/.test(name) || /^\.{1,2}$/.test(name.trim())) {
    throw new ValidationError("The file name must be a plain name, not a path.", { file: "Rename the file without path characters." }, "invalid_file_name");
  }
}

export function sanitiseFileName(raw: string | undefined, type: DocumentContentType): string {
  let name = (raw ?? "").normalize("NFC").replace(BIDI_CONTROLS, "");
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f<>:"/\\|?*;%`$]/g, "_").replace(/\s+/g, " ");
  name = name.replace(/^[\s.]+|[\s.]+$/g, "");
  const ext = EXTENSION_FOR[type];
  if (typeOfExtension(name) !== type) name = name ? `${name}.${ext}` : `document.${ext}`;
  if (name.length > 200) {
    const dot = name.lastIndexOf(".");
    name = `${name.slice(0, 200 - (name.length - dot))}${name.slice(dot)}`;
  }
  return name;
}

/** Content-Disposition: attachment with an ASCII fallback and the UTF-8 name (RFC 6266). */
export function attachmentDisposition(storedName: string): string {
  const fileName = storedName.replace(BIDI_CONTROLS, ""); // names stored before they were dropped on upload
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
