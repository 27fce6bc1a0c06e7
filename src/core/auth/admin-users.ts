import { z } from "zod";
import { withUser, type RequestContext } from "../db/with-user";
import type { AppRole } from "../db/schema";
import { ValidationError } from "../errors";
import { loadAccount, type Account } from "./account";
import { auditAccountEvent } from "./audit-events";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import { ZEmail, ZFullName } from "./signup";
import { ZProviderCredential, type TProviderCredential } from "./provider-credentials";

export const ZListUsersQuery = z.object({
  role: z.enum(["patient", "provider", "admin"]).optional(),
  /** `pending`: active providers an admin has not verified yet. */
  status: z.enum(["active", "inactive", "pending", "all"]).default("all"),
  search: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type TListUsersQuery = z.infer<typeof ZListUsersQuery>;

export interface UserListItem {
  id: string;
  email: string;
  role: AppRole;
  full_name: string;
  is_active: boolean;
  verified: boolean;
  mfa_enabled: boolean;
  /** Providers: the professional credential (only physician, nurse_practitioner, physician_assistant prescribe). */
  credential: TProviderCredential | null;
  license_number: string | null;
  specialty: string | null;
  created_at: string;
}

/** Admins list accounts; the app_admin policies decide what they see. */
export async function listUsers(session: Session, q: TListUsersQuery, context: RequestContext = {}): Promise<{ data: UserListItem[]; count: number }> {
  requireAdmin(session);
  return withUser(session, async (tx) => {
    let base = tx
      .selectFrom("auth.users as u")
      .leftJoin("providers as p", "p.user_id", "u.id")
      .leftJoin("auth.mfa_factors as m", "m.user_id", "u.id");
    if (q.role) base = base.where("u.role", "=", q.role);
    if (q.status === "pending") {
      base = base.where("u.role", "=", "provider").where("u.is_active", "=", true).where((eb) => eb.or([eb("p.is_verified", "is", null), eb("p.is_verified", "=", false)]));
    } else if (q.status !== "all") base = base.where("u.is_active", "=", q.status === "active");
    if (q.search) {
      const like = `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      base = base.where((eb) => eb.or([eb("u.email", "ilike", like), eb("u.full_name", "ilike", like)]));
    }
    const rows = await base
      .select(["u.id", "u.email", "u.role", "u.full_name", "u.is_active", "u.created_at", "p.is_verified", "p.credential", "p.license_number", "p.specialty", "m.enabled_at"])
      .orderBy("u.created_at", "desc")
      .orderBy("u.id")
      .limit(q.limit)
      .offset(q.offset)
      .execute();
    const { count } = await base.select((eb) => eb.fn.countAll<string>().as("count")).executeTakeFirstOrThrow();
    return {
      count: Number(count),
      data: rows.map((r) => ({
        id: r.id,
        email: r.email,
        role: r.role,
        full_name: r.full_name,
        is_active: r.is_active,
        verified: r.role === "provider" ? r.is_verified === true : true,
        mfa_enabled: !!r.enabled_at,
        credential: r.credential ?? null,
        license_number: r.license_number ?? null,
        specialty: r.specialty ?? null,
        created_at: new Date(r.created_at).toISOString(),
      })),
    };
  }, context);
}

export const ZCreateUserRequest = z.object({
  email: ZEmail,
  password: z.string().max(1024),
  full_name: ZFullName,
  role: z.enum(["admin", "provider"], "must be \"admin\" or \"provider\" (patients join by invitation)"),
  credential: ZProviderCredential.optional(),
  license_number: z.string().trim().min(2).max(64).optional(),
  specialty: z.string().trim().min(1).max(120).optional(),
});
export type TCreateUserRequest = z.infer<typeof ZCreateUserRequest>;

/** Admins create admins and (already verified) providers, as themselves under RLS. */
export async function createUserByAdmin(session: Session, input: TCreateUserRequest, context: RequestContext = {}): Promise<Account> {
  requireAdmin(session);
  if (input.role === "provider" && (!input.credential || !input.license_number || !input.specialty)) {
    throw new ValidationError("Providers need a professional credential, a license number and a specialty.", {
      ...(input.credential ? {} : { credential: "is required for providers" }),
      ...(input.license_number ? {} : { license_number: "is required for providers" }),
      ...(input.specialty ? {} : { specialty: "is required for providers" }),
    });
  }
  assertAcceptablePassword(input.password, input.email);
  const passwordHash = await hashPassword(input.password);
  const account = await withUser(session, async (tx) => {
    const { id } = await tx
      .insertInto("auth.users")
      .values({ email: input.email, password_hash: passwordHash, role: input.role, full_name: input.full_name })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (input.role === "provider") {
      await tx
        .insertInto("providers")
        .values({ user_id: id, credential: input.credential!, license_number: input.license_number!, specialty: input.specialty!, is_verified: true, verified_at: new Date(), verified_by: session.userId })
        .execute();
    }
    return (await loadAccount(tx, id))!;
  }, context);
  await auditAccountEvent({ action: "auth.user_created", actorId: session.userId, actorRole: session.role, targetUserId: account.id, details: { role: account.role } }, context);
  return account;
}
