import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { asService, type Tx } from "@/core/db/with-user";
import { startSession } from "@/core/auth/start-session";
import { drainStagedReads } from "@/core/audit/record";
import type { Session } from "@/core/auth/session-types";
import type { AppRole, CareTeamRole, ProviderCredential } from "@/core/db/schema";

/** A precomputed argon2id hash: tests create accounts without paying for hashing. */
export const TEST_PASSWORD = "correct horse battery staple";
export const TEST_PASSWORD_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$5LTHd6nWL3M0Thsx1qq53A$tg5Gsp1fH4kPActcUQdWwHM/n91sSFMoRnufdA8PGE0";

export interface TestUser {
  id: string;
  email: string;
  role: AppRole;
  session: Session;
  accessToken: string;
}

let counter = 0;
const uniq = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function createUser(
  role: AppRole,
  /** credential: providers only; defaults to physician (prescribes). */
  opts: { verified?: boolean; fullName?: string; passwordHash?: string; aal?: "aal1" | "aal2"; credential?: ProviderCredential } = {},
): Promise<TestUser> {
  return asService("test seeding", async (tx) => {
    const email = `${role}-${uniq()}@example.test`;
    const { id } = await tx
      .insertInto("auth.users")
      .values({ email, role, full_name: opts.fullName ?? `Test ${role} ${uniq()}`, password_hash: opts.passwordHash ?? TEST_PASSWORD_HASH })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (role === "provider") {
      const verified = opts.verified ?? true;
      await tx
        .insertInto("providers")
        .values({ user_id: id, credential: opts.credential ?? "physician", license_number: `LIC-${uniq()}`, specialty: "Family medicine", is_verified: verified, verified_at: verified ? new Date() : null })
        .execute();
    }
    const { session, tokens } = await startSession(tx, { id, role }, opts.aal ?? (role === "admin" ? "aal2" : "aal1"), {});
    return { id, email, role, session, accessToken: tokens.access_token };
  });
}

let mrn = 0;
export async function createPatient(opts: { createdBy: string; userId?: string; firstName?: string; lastName?: string } ): Promise<string> {
  return asService("test seeding", async (tx) => {
    const id = randomUUID();
    await tx
      .insertInto("patients")
      .values({
        id,
        created_by: opts.createdBy,
        first_name: opts.firstName ?? "Pat",
        last_name: opts.lastName ?? `Ient${uniq()}`,
        date_of_birth: "1980-04-02",
        gender: "female",
        blood_type: "O+",
        allergies: ["penicillin"],
        mrn: `MRN-${uniq()}-${mrn++}`.slice(0, 32),
      })
      .execute();
    if (opts.userId) await tx.updateTable("patients").set({ user_id: opts.userId }).where("id", "=", id).execute();
    return id;
  });
}

/** Adds a provider to a patient's care team (as an admin would). */
export async function addToCareTeam(patientId: string, providerId: string, role: CareTeamRole): Promise<void> {
  await asService("test seeding", (tx) =>
    tx
      .insertInto("care_team")
      .values({ patient_id: patientId, provider_id: providerId, role })
      .onConflict((oc) => oc.columns(["patient_id", "provider_id"]).doUpdateSet({ role }))
      .execute(),
  );
}

export async function removeFromCareTeam(patientId: string, providerId: string): Promise<void> {
  await asService("test seeding", (tx) =>
    tx.deleteFrom("care_team").where("patient_id", "=", patientId).where("provider_id", "=", providerId).execute(),
  );
}

/** Inspects the database as the service identity; staged read records are moved onto the trail first (docs/audit.md). */
export async function serviceQuery<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  await drainStagedReads();
  return asService("test inspection", fn);
}

export { sql };
