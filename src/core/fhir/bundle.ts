import type { Bundle, BundleEntry, FhirResource } from "./types";

/** The absolute URL of a resource (Bundle.entry.fullUrl). */
export function fullUrl(base: string, r: FhirResource): string {
  return `${base}/${r.resourceType}/${r.id}`;
}

export function entryOf(base: string, resource: FhirResource, mode: "match" | "include" = "match"): BundleEntry {
  return { fullUrl: fullUrl(base, resource), resource, search: { mode } };
}

/** A searchset page: `total` matches, `self` and (when more follow) `next`. */
export function searchsetBundle(opts: { base: string; resources: FhirResource[]; total: number | undefined; self: string; next?: string | null }): Bundle {
  const link = [{ relation: "self", url: opts.self }];
  if (opts.next) link.push({ relation: "next", url: opts.next });
  return {
    resourceType: "Bundle",
    type: "searchset",
    meta: { lastUpdated: new Date().toISOString() },
    total: opts.total,
    link,
    // FHIR JSON has no empty arrays: a page with no matches has no `entry`
    ...(opts.resources.length ? { entry: opts.resources.map((r) => entryOf(opts.base, r)) } : {}),
  };
}

/** A collection of resources (a patient's record as a file). */
export function collectionBundle(base: string, resources: FhirResource[]): Bundle {
  return {
    resourceType: "Bundle",
    type: "collection",
    timestamp: new Date().toISOString(),
    ...(resources.length ? { entry: resources.map((r) => ({ fullUrl: fullUrl(base, r), resource: r })) } : {}),
  };
}
