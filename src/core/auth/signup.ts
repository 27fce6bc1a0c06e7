import { z } from "zod";
import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import { BadRequestError, ValidationError } from "../errors";
import { loadAccount, type Account } from "./account";
import { auditAccountEvent, auditAccountEventTx } from "./audit-events";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { hit, ipKey } from "./rate-limit";
import { hashInviteCode } from "./invites";

export const ZEmail = z.email("must be a valid email address").trim().toLowerCase().max(254);
export const ZFullName = z.string().trim().min(1, "is required").max(200);

export const ZSignUpRequest = z.object({
  email: ZEmail,
  password: z.string().max(1024),
  full_name: ZFullName,
  role: z.enum(["provider", "patient"], "must be \"provider\" or \"patient\" (administrators are created by an administrator)"),
  license_number: z.string().trim().min(2, "is too short").max(64).optional(),
  specialty: z.string().trim().min(1, "is required").max(120).optional(),
  invite_code: z.string().trim().min(1).max(64).optional(),
});
export type TSignUpRequest = z.infer<typeof ZSignUpRequest>;

/** Expired, used and unknown invite codes all get this one answer. */
export const INVALID_INVITE = () =>
  new BadRequestError("This invite code is not valid. Ask your care team for a new one.", "invalid_invite");

/**
 * Sign-up. Providers start unverified (RLS gives them no PHI until an admin verifies
 * them); patients join only with an invite, which links the account to their record.
 */
export async function signUp(input: TSignUpRequest, context: RequestContext = {}): Promise<Account> {
  await hit("sign_up_ip", ipKey(context), context);
  if (input.role === "provider") {
    const missing: Record<string, string> = {};
    if (!input.license_number) missing.license_number = "is required for providers";
    if (!input.specialty) missing.specialty = "is required for providers";
    if (Object.keys(missing).length) throw new ValidationError("Providers need a license number and a specialty.", missing);
  } else if (!input.invite_code) {
    throw new ValidationError("Patients join with the invite code their care team gave them.", { invite_code: "is required for patients" });
  }
  assertAcceptablePassword(input.password, input.email);
  if (input.role === "patient") await hit("invite_ip", ipKey(context), context);
  const passwordHash = await hashPassword(input.password);

  try {
    return await createAccount(input, passwordHash, context);
  } catch (e) {
    if (e instanceof BadRequestError && e.code === "invalid_invite") {
      await auditAccountEvent({ action: "auth.invite_rejected", details: { reason: "unknown_expired_or_used" } }, context);
    }
    throw e;
  }
}

async function createAccount(input: TSignUpRequest, passwordHash: string, context: RequestContext): Promise<Account> {
  return asService("sign-up: create the account (no identity yet)", async (tx) => {
    if (input.role === "patient") {
      const invite = await tx
        .selectFrom("invites as i")
        .innerJoin("patients as p", "p.id", "i.patient_id")
        .select(["i.id", "i.patient_id", "p.user_id"])
        .where("i.code_hash", "=", hashInviteCode(input.invite_code!))
        .where("i.used_at", "is", null)
        .where("i.expires_at", ">", sql<Date>`now()`)
        .forUpdate()
        .executeTakeFirst();
      if (!invite || invite.user_id) {
        // Counted in its own transaction: this one rolls back with the error.
        throw INVALID_INVITE();
      }
      const { id } = await tx
        .insertInto("auth.users")
        .values({ email: input.email, password_hash: passwordHash, role: "patient", full_name: input.full_name })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx.updateTable("invites").set({ used_at: new Date(), used_by: id }).where("id", "=", invite.id).execute();
      await tx.updateTable("patients").set({ user_id: id }).where("id", "=", invite.patient_id).execute();
      await auditAccountEventTx(tx, { action: "auth.sign_up", actorId: id, actorRole: "patient", patientId: invite.patient_id }, context);
      await auditAccountEventTx(
        tx,
        { action: "auth.invite_redeemed", actorId: id, actorRole: "patient", patientId: invite.patient_id, details: { invite_id: invite.id } },
        context,
      );
      return (await loadAccount(tx, id))!;
    }
    const { id } = await tx
      .insertInto("auth.users")
      .values({ email: input.email, password_hash: passwordHash, role: "provider", full_name: input.full_name })
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx.insertInto("providers").values({ user_id: id, license_number: input.license_number!, specialty: input.specialty! }).execute();
    await auditAccountEventTx(tx, { action: "auth.sign_up", actorId: id, actorRole: "provider" }, context);
    return (await loadAccount(tx, id))!;
  }, context);
}
