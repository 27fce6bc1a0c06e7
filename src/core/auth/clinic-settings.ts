import { z } from "zod";
import { withUser, type RequestContext } from "../db/with-user";
import { auditAccountEvent } from "./audit-events";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";

export interface ClinicSettings {
  require_mfa_for_providers: boolean;
  updated_at: string;
}

export const ZUpdateClinicSettingsRequest = z.object({ require_mfa_for_providers: z.boolean() });
export type TUpdateClinicSettingsRequest = z.infer<typeof ZUpdateClinicSettingsRequest>;

export async function getClinicSettings(session: Session, context: RequestContext = {}): Promise<ClinicSettings> {
  requireAdmin(session);
  const row = await withUser(session, (tx) =>
    tx.selectFrom("clinic_settings").select(["require_mfa_for_providers", "updated_at"]).executeTakeFirstOrThrow(),
  context);
  return { require_mfa_for_providers: row.require_mfa_for_providers, updated_at: new Date(row.updated_at).toISOString() };
}

/** Takes effect at each provider's next sign-in. */
export async function updateClinicSettings(session: Session, input: TUpdateClinicSettingsRequest, context: RequestContext = {}): Promise<ClinicSettings> {
  requireAdmin(session);
  const row = await withUser(session, (tx) =>
    tx
      .updateTable("clinic_settings")
      .set({ require_mfa_for_providers: input.require_mfa_for_providers, updated_at: new Date(), updated_by: session.userId })
      .where("id", "=", true)
      .returning(["require_mfa_for_providers", "updated_at"])
      .executeTakeFirstOrThrow(),
  context);
  await auditAccountEvent({ action: "auth.settings_changed", actorId: session.userId, actorRole: session.role, details: { ...input } }, context);
  return { require_mfa_for_providers: row.require_mfa_for_providers, updated_at: new Date(row.updated_at).toISOString() };
}
