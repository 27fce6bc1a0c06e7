import { randomBytes } from "node:crypto";
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
import { issueStaffInvite } from "./invite-staff";
import { lockedUntil } from "./unlock-account";

export const USER_SORTS = ["name", "-name", "email", "-email", "created", "-created"] as const;
export type UserSort = (typeof USER_SORTS)[number];

export const ZListUsersQuery = z.object({
  role: z.enum(["patient", "provider", "admin"]).optional(),
  /** `pending`: active providers an admin has not verified yet. */
  status: z.enum(["active", "inactive", "pending", "all"]).default("all"),
  search: z.string().trim().max(100).optional(),
  /** Column and direction ("-" first: descending); newest first by default. */
  sort: z.enum(USER_SORTS).default("-created"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type TListUsersQuery = Omit<z.infer<typeof ZListUsersQuery>, "sort"> & { sort?: UserSort };

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
  /** The owner followed a link mailed to the address (verification, or a staff invitation). */
  email_confirmed: boolean;
  /** Invited by an admin and no password chosen yet: the invitation can be sent again. */
  invited: boolean;
  /** Locked after failed sign-ins until then (an admin can unlock); null when not locked. */
  locked_until: string | null;
}

/** Admins list accounts; the app_admin policies decide what they see. */
export async function listUsers(session: Session, q: TListUsersQuery, context: RequestContext = {}): Promise<{ data: UserListItem[]; count: number }> {
  requireAdmin(session);
  const page = await withUser(session, async (tx) => {
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
    const sort = q.sort ?? "-created";
    const dir = sort.startsWith("-") ? "desc" : "asc";
    const column = ({ name: "u.full_name", email: "u.email", created: "u.created_at" } as const)[sort.replace(/^-/, "") as "name" | "email" | "created"];
    const rows = await base
      .select(["u.id", "u.email", "u.role", "u.full_name", "u.is_active", "u.created_at", "u.email_confirmed_at", "u.invited_at", "p.is_verified", "p.credential", "p.license_number", "p.specialty", "m.enabled_at"])
      .orderBy(column, dir)
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
        email_confirmed: !!r.email_confirmed_at,
        invited: !!r.invited_at,
        locked_until: null as string | null,
      })),
    };
  }, context);
  // after the user's transaction: the embedded engine has one connection
  const locks = await lockedUntil(page.data.map((u) => u.email), context);
  for (const u of page.data) u.locked_until = locks.get(u.email) ?? null;
  return page;
}

export const ZCreateUserRequest = z.object({
  email: ZEmail,
  /** Without a password the account is invited by mail: the invitee chooses one through the link. */
  password: z.string().max(1024).optional(),
  full_name: ZFullName,
  role: z.enum(["admin", "provider"], "must be \"admin\" or \"provider\" (patients join by invitation)"),
  credential: ZProviderCredential.optional(),
  license_number: z.string().trim().min(2).max(64).optional(),
  specialty: z.string().trim().min(1).max(120).optional(),
});
export type TCreateUserRequest = z.infer<typeof ZCreateUserRequest>;

/**
 * Admins create admins and (already verified) providers, as themselves under RLS: with a
 * password, the account is ready; without one, it is invited by mail in the same
 * transaction (a single-use link, 72 hours, to choose a password: invite-staff.ts) and
 * nobody can sign in to it until then (its password is random and never shown).
 */
export async function createUserByAdmin(session: Session, input: TCreateUserRequest, context: RequestContext = {}): Promise<Account & { invite_expires_at?: string }> {
  requireAdmin(session);
  if (input.role === "provider" && (!input.credential || !input.license_number || !input.specialty)) {
    throw new ValidationError("Providers need a professional credential, a license number and a specialty.", {
      ...(input.credential ? {} : { credential: "is required for providers" }),
      ...(input.license_number ? {} : { license_number: "is required for providers" }),
      ...(input.specialty ? {} : { specialty: "is required for providers" }),
    });
  }
  const invite = input.password === undefined;
  if (!invite) assertAcceptablePassword(input.password!, input.email);
  const passwordHash = await hashPassword(invite ? randomBytes(32).toString("base64url") : input.password!);
  let inviteExpiresAt: string | undefined;
  const account = await withUser(session, async (tx) => {
    const { id } = await tx
      .insertInto("auth.users")
      .values({ email: input.email, password_hash: passwordHash, role: input.role, full_name: input.full_name, ...(invite ? { invited_at: new Date() } : {}) })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (input.role === "provider") {
      await tx
        .insertInto("providers")
        .values({ user_id: id, credential: input.credential!, license_number: input.license_number!, specialty: input.specialty!, is_verified: true, verified_at: new Date(), verified_by: session.userId })
        .execute();
    }
    if (invite) inviteExpiresAt = (await issueStaffInvite(tx, id)) ?? undefined;
    return (await loadAccount(tx, id))!;
  }, context);
  await auditAccountEvent({ action: "auth.user_created", actorId: session.userId, actorRole: session.role, targetUserId: account.id, details: { role: account.role, invited: invite } }, context);
  return invite ? { ...account, invite_expires_at: inviteExpiresAt } : account;
}
