import { authed } from "@/core/http/route";
import { exportAuditCsv } from "@/core/audit/export-audit-csv";
import { parseAuditQuery, ZAuditFilters } from "@/core/audit/list-audit-records.types";

export const dynamic = "force-dynamic";

/** GET /api/v1/admin/audit/export?actor=&patient=&action=&table=&from=&to= → text/csv (admin, aal2; audited) */
export const GET = authed(async ({ req, session, context }) => {
  const filters = parseAuditQuery(req.url, ZAuditFilters);
  const stream = exportAuditCsv(session, filters, context);
  const day = new Date().toISOString().slice(0, 10);
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="carebase-audit-${day}.csv"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
});
