import type { ImportableType, TBundleEntry } from "./import-bundle.types";
import { invalid, type EntryRef } from "./import-errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** What a reference points at: an entry of this Bundle, or a record already on the server. */
export type Target =
  | { in: "bundle"; index: number; type: string }
  | { in: "server"; type: string; id: string };

/**
 * Resolves references as FHIR's transaction rules say: `urn:uuid:` (and any absolute URL)
 * against the entries' fullUrl; a relative `Type/id` against the entries whose fullUrl ends
 * in `/Type/id`, or whose resource is that type with that id, else against the server (a
 * UUID the caller must be able to see, checked when the import runs).
 */
export class ReferenceIndex {
  private readonly byFullUrl = new Map<string, number>();
  private readonly byTypeId = new Map<string, number>();

  constructor(entries: TBundleEntry[]) {
    entries.forEach((e, i) => {
      if (e.fullUrl) this.byFullUrl.set(e.fullUrl, i);
      const m = e.fullUrl ? /\/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(e.fullUrl) : null;
      if (m) this.byTypeId.set(m[1], i);
      else if (e.resource.id) this.byTypeId.set(`${e.resource.resourceType}/${e.resource.id}`, i);
    });
    this.entries = entries;
  }

  private readonly entries: TBundleEntry[];

  resolve(from: EntryRef, reference: string | undefined, element: string, expected: ImportableType[]): Target {
    if (!reference) throw invalid(from, `${element} has no reference.`, `resource.${element}`);
    let target: Target | undefined;
    const exact = this.byFullUrl.get(reference);
    if (exact !== undefined) target = { in: "bundle", index: exact, type: this.entries[exact].resource.resourceType };
    else if (reference.startsWith("urn:")) throw invalid(from, `${element} points at no entry of the Bundle.`, `resource.${element}`);
    else {
      const rel = RELATIVE.exec(reference);
      if (!rel) throw invalid(from, `${element} must be "urn:uuid:…", "Type/id" or the fullUrl of an entry.`, `resource.${element}`);
      const local = this.byTypeId.get(`${rel[1]}/${rel[2]}`);
      if (local !== undefined) target = { in: "bundle", index: local, type: rel[1] };
      else if (UUID.test(rel[2])) target = { in: "server", type: rel[1], id: rel[2].toLowerCase() };
      else throw invalid(from, `${element} points at ${rel[1]}/… which is neither in the Bundle nor a record on this server.`, `resource.${element}`);
    }
    if (!(expected as string[]).includes(target.type)) {
      throw invalid(from, `${element} must point at ${expected.join(" or ")}, not ${target.type}.`, `resource.${element}`);
    }
    return target;
  }
}
