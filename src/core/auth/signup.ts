import { randomUUID } from "node:crypto";
import { z } from "zod";
import { sql } from "kysely";
import { asService, type RequestContext, type Tx } from "../db/with-user";
import { BadRequestError, ValidationError } from "../errors";
import { loadAccount, type Account } from "./account";
import { auditAccountEvent, auditAccountEventTx } from "./audit-events";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { guessAttempt, hit, ipKey, throttleKey } from "./rate-limit";
import { hashInviteCode } from "./invites";
import { notifyAccountOwner } from "../mail/notify-account-owner";
import { ZProviderCredential } from "./provider-credentials";
import { issueEmailVerification } from "./verify-email";

export const ZEmail = z.email("must be a valid email address").trim().toLowerCase().max(254);
export const ZFullName = z.string().trim().min(1, "is required").max(200);

export const ZSignUpRequest = z.object({
  email: ZEmail,
  password: z.string().max(1024),
  full_name: ZFullName,
  role: z.enum(["provider", "patient"], "must be \"provider\" or \"patient\" (administrators are created by an administrator)"),
  /** Providers: the professional credential; only physician, nurse_practitioner and physician_assistant prescribe. */
  credential: ZProviderCredential.optional(),
  license_number: z.string().trim().min(2, "is too short").max(64).optional(),
  specialty: z.string().trim().min(1, "is required").max(120).optional(),
  invite_code: z.string().trim().min(1).max(64).optional(),
  /** Patients: must match the invited record's date of birth. */
  date_of_birth: z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 1980-04-02").optional(),
});
export type TSignUpRequest = z.infer<typeof ZSignUpRequest>;

/** Expired, used and unknown invite codes, and a date of birth that does not match, all get this one answer. */
export const INVALID_INVITE = () =>
  new BadRequestError(
    "This invite code and date of birth do not match a valid invitation. Check both, or ask your care team for a new code.",
    "invalid_invite",
  );

type Redemption = { kind: "created" | "duplicate"; account: Account } | { kind: "invalid_invite"; reason: string; patientId?: string };

/**
 * Sign-up. Providers start unverified (RLS gives them no PHI until an admin verifies
 * them); patients join only with an invite and the invited record's date of birth, which
 * links the account to their record.
 *
 * Be careful here: this endpoint is open to anyone. An email that already has an account
 * gets the same answer as a new one (nothing is created; docs/auth.md), and every step
 * that costs time (the argon2 hash, the throttles) runs on both paths.
 */
export async function signUp(input: TSignUpRequest, context: RequestContext = {}): Promise<Account> {
  await hit("sign_up_ip", ipKey(context), context);
  if (input.role === "provider") {
    const missing: Record<string, string> = {};
    if (!input.license_number) missing.license_number = "is required for providers";
    if (!input.specialty) missing.specialty = "is required for providers";
    if (!input.credential) missing.credential = "is required for providers";
    if (Object.keys(missing).length) throw new ValidationError("Providers need a professional credential, a license number and a specialty.", missing);
  } else {
    const missing: Record<string, string> = {};
    if (!input.invite_code) missing.invite_code = "is required for patients";
    if (!input.date_of_birth) missing.date_of_birth = "is required for patients";
    if (Object.keys(missing).length) {
      throw new ValidationError("Patients join with the invite code their care team gave them and their date of birth.", missing);
    }
  }
  assertAcceptablePassword(input.password, input.email);

  if (input.role === "provider") {
    const passwordHash = await hashPassword(input.password);
    return registerProvider(input, passwordHash, context);
  }

  // Guessing an invite (or the date of birth that goes with it) is throttled per IP and per
  // code, counting wrong answers only; checked before the password is hashed.
  const codeHash = hashInviteCode(input.invite_code!);
  const byIp = await guessAttempt("invite_ip", ipKey(context), context);
  const byCode = await guessAttempt("invite_code", throttleKey(`invite:${codeHash}`), context);
  const passwordHash = await hashPassword(input.password);
  const outcome = await redeemInvite(input, codeHash, passwordHash, context);
  if (outcome.kind === "invalid_invite") {
    await auditAccountEvent({ action: "auth.invite_rejected", patientId: outcome.patientId ?? null, details: { reason: outcome.reason } }, context);
    throw INVALID_INVITE();
  }
  await byIp.forgive();
  await byCode.forgive();
  return outcome.account;
}

/**
 * Creates the account and returns its id, or, when the email is taken, creates nothing and
 * returns undefined. ON CONFLICT DO NOTHING also covers two sign-ups with one email racing.
 */
async function insertUser(tx: Tx, input: TSignUpRequest, passwordHash: string): Promise<string | undefined> {
  const row = await tx
    .insertInto("auth.users")
    .values({ email: input.email, password_hash: passwordHash, role: input.role, full_name: input.full_name })
    .onConflict((oc) => oc.constraint("users_email_unique").doNothing())
    .returning("id")
    .executeTakeFirst();
  return row?.id;
}

/** What a new account of this role looks like in the answer, for an email that already has one. Nothing is stored. */
function lookalikeAccount(input: TSignUpRequest): Account {
  return {
    id: randomUUID(),
    email: input.email,
    role: input.role,
    full_name: input.full_name,
    verified: input.role !== "provider",
    mfa_enabled: false,
  };
}

async function existingAccountId(tx: Tx, email: string): Promise<string | null> {
  const row = await tx.selectFrom("auth.users").select("id").where("email", "=", email).executeTakeFirst();
  return row?.id ?? null;
}

async function registerProvider(input: TSignUpRequest, passwordHash: string, context: RequestContext): Promise<Account> {
  return asService("sign-up: create the provider account (no identity yet)", async (tx) => {
    const id = await insertUser(tx, input, passwordHash);
    if (!id) {
      // The email has an account: answer as for a new one, create nothing, and tell the
      // address's owner (never the caller) with a password-reset link.
      const existing = await existingAccountId(tx, input.email);
      await auditAccountEventTx(tx, { action: "auth.sign_up_duplicate", targetUserId: existing, details: { role: "provider" } }, context);
      if (existing) await notifyAccountOwner(tx, existing, "sign_up_duplicate");
      return lookalikeAccount(input);
    }
    await tx.insertInto("providers").values({ user_id: id, credential: input.credential!, license_number: input.license_number!, specialty: input.specialty! }).execute();
    await auditAccountEventTx(tx, { action: "auth.sign_up", actorId: id, actorRole: "provider" }, context);
    // a link to confirm the address, so admins know it is the provider's before verifying them
    await issueEmailVerification(tx, id, input.email);
    return (await loadAccount(tx, id))!;
  }, context);
}

async function redeemInvite(input: TSignUpRequest, codeHash: string, passwordHash: string, context: RequestContext): Promise<Redemption> {
  return asService("sign-up: redeem a patient invite (no identity yet)", async (tx) => {
    // One query whatever is wrong: unknown, used or expired code, or the wrong date of birth.
    const invite = await tx
      .selectFrom("invites as i")
      .innerJoin("patients as p", "p.id", "i.patient_id")
      .select(["i.id", "i.patient_id", "p.user_id"])
      .select(sql<boolean>`to_char(p.date_of_birth, 'YYYY-MM-DD') = ${input.date_of_birth!}`.as("born_then"))
      .where("i.code_hash", "=", codeHash)
      .where("i.used_at", "is", null)
      .where("i.expires_at", ">", sql<Date>`now()`)
      .forUpdate()
      .executeTakeFirst();
    if (!invite || invite.user_id) return { kind: "invalid_invite", reason: "unknown_expired_or_used" };
    if (!invite.born_then) return { kind: "invalid_invite", reason: "date_of_birth_mismatch", patientId: invite.patient_id };

    const id = await insertUser(tx, input, passwordHash);
    if (!id) {
      // The email has an account: answer as for a new one, link nothing, and end the invite
      // (as redeeming would), so that trying the code again cannot tell the two apart. The
      // care team sees the attempt in the record's access log and issues a new invite.
      // Mail hooks in here once the mail issue lands: tell the address's owner.
      await tx.updateTable("invites").set({ expires_at: sql<Date>`now()` }).where("id", "=", invite.id).execute();
      const existing = await existingAccountId(tx, input.email);
      await auditAccountEventTx(
        tx,
        { action: "auth.sign_up_duplicate", targetUserId: existing, patientId: invite.patient_id, details: { role: "patient", invite_id: invite.id } },
        context,
      );
      if (existing) await notifyAccountOwner(tx, existing, "sign_up_duplicate");
      return { kind: "duplicate", account: lookalikeAccount(input) };
    }
    await tx.updateTable("invites").set({ used_at: new Date(), used_by: id }).where("id", "=", invite.id).execute();
    await tx.updateTable("patients").set({ user_id: id }).where("id", "=", invite.patient_id).execute();
    await auditAccountEventTx(tx, { action: "auth.sign_up", actorId: id, actorRole: "patient", patientId: invite.patient_id }, context);
    await auditAccountEventTx(
      tx,
      { action: "auth.invite_redeemed", actorId: id, actorRole: "patient", patientId: invite.patient_id, details: { invite_id: invite.id } },
      context,
    );
    return { kind: "created", account: (await loadAccount(tx, id))! };
  }, context);
}
