import { sql } from "kysely";
import { recordEvent } from "../audit/events";
import { withUser, type RequestContext } from "../db/with-user";
import { NotFoundError } from "../errors";
import type { TProviderCredential } from "./provider-credentials";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import type { TSetProviderCredentialRequest } from "./set-provider-credential.types";

/**
 * An admin records a provider's professional credential (which decides whether they may
 * prescribe; takes effect in their next transaction). Through app.set_provider_credential,
 * which checks app.i_am_admin() itself (0610); audited in the same transaction.
 */
export async function setProviderCredential(
  session: Session,
  providerId: string,
  input: TSetProviderCredentialRequest,
  context: RequestContext = {},
): Promise<{ user_id: string; credential: TProviderCredential }> {
  requireAdmin(session);
  return withUser(session, async (tx) => {
    const before = await tx.selectFrom("providers").select("credential").where("user_id", "=", providerId).executeTakeFirst();
    if (!before) throw new NotFoundError("provider");
    await sql`select app.set_provider_credential(${providerId}::uuid, ${input.credential})`.execute(tx);
    if (before.credential !== input.credential) {
      await recordEvent(tx, {
        action: "auth.provider_credential_changed",
        targetUserId: providerId,
        details: { credential: input.credential, previous: before.credential },
      });
    }
    return { user_id: providerId, credential: input.credential };
  }, context);
}
