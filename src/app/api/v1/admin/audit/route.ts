import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { listAuditRecords } from "@/core/audit/list-audit-records";
import { parseAuditQuery, ZListAuditQuery } from "@/core/audit/list-audit-records.types";

export const dynamic = "force-dynamic";

/** GET /api/v1/admin/audit?actor=&patient=&action=&table=&from=&to=&cursor=&limit= (admin, aal2) */
export const GET = authed(async ({ req, session, context }) => {
  const query = parseAuditQuery(req.url, ZListAuditQuery);
  return json(await listAuditRecords(session, query, context));
});
