import type { Session } from "../auth/session-types";
import { drainStagedReads } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { BadRequestError, NotFoundError } from "../errors";
import { mapContextFor } from "./map-context";
import { definitionOf } from "./search-resources";
import { runSearch } from "./search/run-search";
import { isFhirId } from "./search/search-params";
import type { FhirResource } from "./types";

/**
 * GET /fhir/R4/{type}/{id}: one resource the caller may read (RLS decides); one they may
 * not read is not found, exactly like one that does not exist. Audited like the JSON
 * API's reads, with `via: "fhir"`.
 */
export async function readResource(session: Session, type: string, id: string, requestUrl: string, context: RequestContext): Promise<FhirResource> {
  const def = definitionOf(type);
  if (!isFhirId(id)) throw new BadRequestError("The resource id is malformed.", "invalid_id");
  const ctx = mapContextFor(requestUrl, session);
  if (def.type === "AuditEvent") await drainStagedReads();
  // the read and its record in one statement; with nothing to prepare, its COMMIT travels
  // with it (one round trip on PostgreSQL, like the JSON chart read)
  return withUser(session, async (tx) => {
    const page = await runSearch(tx, def, {
      filters: [{ name: "_id", param: { type: "token", columns: ["id"], idType: def.idType, codeCondition: def.idCondition }, value: { type: "token", values: [{ code: id }] } }],
      count: 1,
    }, { withTotal: false, record: {}, single: true });
    const row = page.rows[0];
    if (!row) throw new NotFoundError(type);
    await def.prepare?.(tx, [row], ctx);
    return def.toFhir(row, ctx);
  }, context, { oneStatement: !def.prepare });
}
