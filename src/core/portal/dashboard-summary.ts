import { sql } from "kysely";
import type { Session } from "../auth/session-types";
import { withUser, type RequestContext } from "../db/with-user";

/** The provider dashboard's summary cards: counts over what RLS lets the caller read. */
export interface DashboardSummary {
  totalPatients: number;
  visitsThisWeek: number;
  activePrescriptions: number;
  /** Documents uploaded and not yet reviewed. */
  pendingDocuments: number;
}

/**
 * Counts only (no PHI leaves), so no read is audited. Each count runs under the
 * caller's policies; "this week" starts on Monday 00:00 UTC.
 */
export async function getDashboardSummary(session: Session, context: RequestContext = {}): Promise<DashboardSummary> {
  return withUser(session, async (tx) => {
    const { rows } = await sql<{ patients: string; visits: string; prescriptions: string; documents: string }>`
      select (select count(*) from public.patients) as patients,
             (select count(*) from public.visits where visit_date >= date_trunc('week', now() at time zone 'utc') at time zone 'utc') as visits,
             (select count(*) from public.prescriptions where is_active) as prescriptions,
             (select count(*) from public.documents where reviewed_at is null and deleted_at is null) as documents`.execute(tx);
    const r = rows[0];
    return {
      totalPatients: Number(r.patients),
      visitsThisWeek: Number(r.visits),
      activePrescriptions: Number(r.prescriptions),
      pendingDocuments: Number(r.documents),
    };
  }, context);
}
