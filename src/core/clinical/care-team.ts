import type { Session } from "../auth/session-types";
import { requireAdmin } from "../auth/require";
import { recordRead } from "../audit/record";
import { withUser, type RequestContext } from "../db/with-user";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { assertPatientVisible } from "./patients";
import type { TAddCareTeamMemberRequest } from "./care-team.types";

export interface CareTeamMember {
  provider_id: string;
  full_name: string;
  role: string;
  specialty: string | null;
  /** The member's professional credential (decides prescribing with the seat). */
  credential: string | null;
  added_at: Date;
}

export async function listCareTeam(session: Session, patientId: string, context: RequestContext): Promise<CareTeamMember[]> {
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const rows = await tx
      .selectFrom("care_team as ct")
      .leftJoin("auth.users as u", "u.id", "ct.provider_id")
      .leftJoin("providers as pr", "pr.user_id", "ct.provider_id")
      .select(["ct.provider_id", "u.full_name", "ct.role", "pr.specialty", "pr.credential", "ct.created_at as added_at"])
      .where("ct.patient_id", "=", patientId)
      .orderBy("ct.created_at")
      .execute();
    await recordRead(tx, { kind: "care_team", patientIds: [patientId], recordIds: rows.map((r) => r.provider_id) });
    return rows.map((r) => ({ ...r, full_name: r.full_name ?? "Unknown provider" }));
  }, context);
}

const ATTENDING_OR_ADMIN =
  "Only an administrator or the patient's attending can change the care team, and an attending cannot add or remove themselves.";

/**
 * Admins and the patient's attending add members (RLS: app_admin, or the attending seat via
 * app.my_attending_patient_ids(); 0610). Nobody adds themselves, and an attending does not
 * seat an 'admin' member. Audited by the table's triggers.
 */
export async function addCareTeamMember(
  session: Session,
  patientId: string,
  input: TAddCareTeamMemberRequest,
  context: RequestContext,
): Promise<CareTeamMember> {
  // an admin without two factors is told so (the database would only show them no patient)
  if (session.role === "admin") requireAdmin(session);
  return withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    // a patient (or a device) is never an attending: say so before looking the provider up
    if (session.role !== "admin" && session.role !== "provider") throw new ForbiddenError(ATTENDING_OR_ADMIN);
    const provider = await tx
      .selectFrom("providers as pr")
      .innerJoin("auth.users as u", "u.id", "pr.user_id")
      .select(["pr.user_id", "pr.specialty", "pr.credential", "u.full_name", "u.is_active"])
      .where("pr.user_id", "=", input.provider_id)
      .executeTakeFirst();
    if (!provider || !provider.is_active) {
      throw new ValidationError("No active provider has this id.", { provider_id: "No active provider has this id." }, "invalid_reference");
    }
    let row;
    try {
      row = await tx
        .insertInto("care_team")
        .values({ patient_id: patientId, provider_id: input.provider_id, role: input.role, added_by: session.userId })
        .returning(["provider_id", "role", "created_at"])
        .executeTakeFirstOrThrow();
    } catch (e) {
      if ((e as { code?: unknown }).code === "42501") throw new ForbiddenError(ATTENDING_OR_ADMIN);
      throw e;
    }
    return { provider_id: row.provider_id, role: row.role, full_name: provider.full_name, specialty: provider.specialty, credential: provider.credential, added_at: row.created_at };
  }, context);
}

/** Admins and the patient's attending remove members (not the attending themselves). */
export async function removeCareTeamMember(session: Session, patientId: string, providerId: string, context: RequestContext): Promise<void> {
  if (session.role === "admin") requireAdmin(session);
  await withUser(session, async (tx) => {
    await assertPatientVisible(tx, patientId);
    const member = await tx.selectFrom("care_team").select("id").where("patient_id", "=", patientId).where("provider_id", "=", providerId).executeTakeFirst();
    if (!member) throw new NotFoundError("care-team member");
    const result = await tx.deleteFrom("care_team").where("id", "=", member.id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new ForbiddenError(ATTENDING_OR_ADMIN);
  }, context);
}

/**
 * Verified, active providers an attending may add to a team (the staff directory that RLS
 * shows a verified provider: app.my_visible_user_ids).
 */
export async function listCareTeamCandidates(session: Session, context: RequestContext): Promise<{ user_id: string; full_name: string; specialty: string }[]> {
  return withUser(session, (tx) =>
    tx
      .selectFrom("providers as pr")
      .innerJoin("auth.users as u", "u.id", "pr.user_id")
      .select(["pr.user_id", "u.full_name", "pr.specialty"])
      .where("pr.is_verified", "=", true)
      .where("u.is_active", "=", true)
      .orderBy("u.full_name")
      .limit(500)
      .execute(),
    context,
  );
}
