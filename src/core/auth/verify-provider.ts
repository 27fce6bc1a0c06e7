import { z } from "zod";
import { sql } from "kysely";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import { auditAccountEvent } from "./audit-events";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";

export interface ProviderListItem {
  user_id: string;
  email: string;
  full_name: string;
  license_number: string;
  specialty: string;
  is_verified: boolean;
  verified_at: string | null;
  is_active: boolean;
  created_at: string;
}

export const ZListProvidersQuery = z.object({
  status: z.enum(["pending", "verified", "all"]).default("all"),
  limit: z.coerce.number().int().min(1).max(200).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type TListProvidersQuery = z.infer<typeof ZListProvidersQuery>;

/** Providers for the admin page; `status=pending` lists those waiting for verification. */
export async function listProviders(session: Session, q: TListProvidersQuery, context: RequestContext = {}): Promise<{ data: ProviderListItem[] }> {
  requireAdmin(session);
  const rows = await withUser(session, (tx) => {
    let query = tx
      .selectFrom("providers as p")
      .innerJoin("auth.users as u", "u.id", "p.user_id")
      .select(["p.user_id", "u.email", "u.full_name", "p.license_number", "p.specialty", "p.is_verified", "p.verified_at", "u.is_active", "p.created_at"]);
    if (q.status !== "all") query = query.where("p.is_verified", "=", q.status === "verified");
    return query.orderBy("p.created_at").limit(q.limit).offset(q.offset).execute();
  }, context);
  return {
    data: rows.map((r) => ({
      ...r,
      verified_at: r.verified_at ? new Date(r.verified_at).toISOString() : null,
      created_at: new Date(r.created_at).toISOString(),
    })),
  };
}

/** An admin verifies a provider; from then on RLS lets them see their care-team patients. */
export async function verifyProvider(session: Session, providerId: string, context: RequestContext = {}): Promise<ProviderListItem> {
  requireAdmin(session);
  const { row, changed } = await withUser(session, async (tx) => {
    const changedRow = await tx
      .updateTable("providers")
      .set({ is_verified: true, verified_at: sql<Date>`now()`, verified_by: session.userId })
      .where("user_id", "=", providerId)
      .where("is_verified", "=", false)
      .returning("user_id")
      .executeTakeFirst();
    const found = await tx
      .selectFrom("providers as p")
      .innerJoin("auth.users as u", "u.id", "p.user_id")
      .select(["p.user_id", "u.email", "u.full_name", "p.license_number", "p.specialty", "p.is_verified", "p.verified_at", "u.is_active", "p.created_at"])
      .where("p.user_id", "=", providerId)
      .executeTakeFirst();
    return { row: found, changed: !!changedRow };
  }, context);
  if (!row) throw new NotFoundError("provider");
  if (changed) {
    await auditAccountEvent({ action: "auth.provider_verified", actorId: session.userId, actorRole: session.role, targetUserId: providerId }, context);
  }
  return { ...row, verified_at: row.verified_at ? new Date(row.verified_at).toISOString() : null, created_at: new Date(row.created_at).toISOString() };
}
