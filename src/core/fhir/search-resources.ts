import type { Session } from "../auth/session-types";
import { drainStagedReads } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { searchsetBundle } from "./bundle";
import { mapContextFor } from "./map-context";
import { resourceDefinition, searchParamsOf } from "./resources";
import type { AnyResourceDefinition } from "./search/resource-definition";
import { runSearch, searchIsOneStatement } from "./search/run-search";
import { encodeCursor, parseSearch } from "./search/search-params";
import type { Bundle } from "./types";

/** The definition of a type this server serves; 404 (OperationOutcome not-found) otherwise. */
export function definitionOf(type: string): AnyResourceDefinition {
  const def = resourceDefinition(type);
  if (!def) throw new NotFoundError("resource type");
  return def;
}

/**
 * GET /fhir/R4/{type}?…: a searchset page under the caller's RLS, keyset-paged in the type's order
 * (the `_cursor` of the `next` link), with the total of matches. Audited like the JSON
 * API's list reads, with `via: "fhir"`.
 */
export async function searchResources(session: Session, type: string, requestUrl: string, context: RequestContext): Promise<Bundle> {
  const def = definitionOf(type);
  const url = new URL(requestUrl);
  const search = parseSearch(url.searchParams, searchParamsOf(def), type);
  const ctx = mapContextFor(requestUrl, session);
  if (def.type === "AuditEvent") await drainStagedReads(); // staged read records too (docs/audit.md)
  return withUser(session, async (tx) => {
    // the page, its total and its read records in one statement
    const page = await runSearch(tx, def, search, { record: {} });
    await def.prepare?.(tx, page.rows, ctx);
    let next: string | null = null;
    if (page.next) {
      const n = new URL(url);
      n.searchParams.set("_cursor", encodeCursor(page.next));
      next = `${ctx.base}/${type}?${n.searchParams.toString()}`;
    }
    return searchsetBundle({
      base: ctx.base,
      resources: page.rows.map((r) => def.toFhir(r, ctx)),
      total: page.total,
      self: `${ctx.base}/${type}${url.search}`,
      next,
    });
  }, context, { oneStatement: !def.prepare && searchIsOneStatement(search) });
}
