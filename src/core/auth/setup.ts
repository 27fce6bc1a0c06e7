import { z } from "zod";
import { sql } from "kysely";
import { asService, type RequestContext } from "../db/with-user";
import { ConflictError } from "../errors";
import { loadAccount, type Account } from "./account";
import { auditAccountEventTx } from "./audit-events";
import { hashPassword } from "./passwords";
import { assertAcceptablePassword } from "./password-policy";
import { ZEmail, ZFullName } from "./signup";

export const ZSetupRequest = z.object({ email: ZEmail, password: z.string().max(1024), full_name: ZFullName });
export type TSetupRequest = z.infer<typeof ZSetupRequest>;

const DONE = () => new ConflictError("This clinic already has an administrator. Sign in instead.", "setup_complete");

export async function setupNeeded(context: RequestContext = {}): Promise<boolean> {
  return asService("first-run check", async (tx) => {
    const admin = await tx.selectFrom("auth.users").select("id").where("role", "=", "admin").limit(1).executeTakeFirst();
    return !admin;
  }, context);
}

/** Creates the clinic's first admin; 409 once any admin exists (serialised by an advisory lock). */
export async function setupFirstAdmin(input: TSetupRequest, context: RequestContext = {}): Promise<Account> {
  if (!(await setupNeeded(context))) throw DONE();
  assertAcceptablePassword(input.password, input.email);
  const passwordHash = await hashPassword(input.password);
  return asService("first-admin setup", async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('carebase.setup'))`.execute(tx);
    const admin = await tx.selectFrom("auth.users").select("id").where("role", "=", "admin").limit(1).executeTakeFirst();
    if (admin) throw DONE();
    const { id } = await tx
      .insertInto("auth.users")
      .values({ email: input.email, password_hash: passwordHash, role: "admin", full_name: input.full_name })
      .returning("id")
      .executeTakeFirstOrThrow();
    await auditAccountEventTx(tx, { action: "auth.setup_admin", actorId: id, actorRole: "admin" }, context);
    return (await loadAccount(tx, id))!;
  }, context);
}
