import { z } from "zod";
import { asService, type RequestContext } from "../db/with-user";
import { UnauthorizedError } from "../errors";
import { loadAccount, type Account } from "./account";
import { auditAccountEventTx } from "./audit-events";
import { checkSecondFactor, clinicRequiresProviderMfa, mfaEnabled } from "./mfa";
import { dummyHash, verifyPassword } from "./passwords";
import { assertNotLocked, clearFailures, hit, ipKey, recordFailure, throttleKey } from "./rate-limit";
import type { Session } from "./session-types";
import { startSession } from "./start-session";
import { type TokenPair } from "./issue-tokens";

export const ZSignInRequest = z.object({
  email: z.string().trim().toLowerCase().min(1, "is required").max(254),
  password: z.string().min(1, "is required").max(1024),
  totp_code: z.string().trim().max(16).optional(),
  recovery_code: z.string().trim().max(64).optional(),
});
export type TSignInRequest = z.infer<typeof ZSignInRequest>;

export interface SignInResult {
  session: Session;
  tokens: TokenPair;
  user: Account;
}

// Hash the dummy password ahead of the first unknown-email sign-in, which would otherwise pay for it.
dummyHash().catch(() => undefined);

const BAD_CREDENTIALS = () => new UnauthorizedError("The email or password is not right.", "invalid_credentials");

/**
 * Password sign-in, with the second factor when the account has MFA. Unknown email and
 * wrong password cost the same (argon2id against a dummy hash) and answer the same.
 * Throttled per IP and per email; repeated failures lock the email with growing back-off.
 */
export async function signIn(input: TSignInRequest, context: RequestContext = {}): Promise<SignInResult> {
  const emailKey = throttleKey(`email:${input.email}`);
  await hit("sign_in_ip", ipKey(context), context);
  await hit("sign_in_account", emailKey, context);
  await assertNotLocked(emailKey, context);

  const user = await asService("sign-in: look up the account", (tx) =>
    tx.selectFrom("auth.users").select(["id", "role", "password_hash", "is_active"]).where("email", "=", input.email).executeTakeFirst(),
  context);
  const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);

  if (!user || !passwordOk || !user.is_active) {
    const reason = !user ? "unknown_account" : !passwordOk ? "wrong_password" : "inactive_account";
    await fail(emailKey, user?.id ?? null, reason, context);
    throw BAD_CREDENTIALS();
  }

  const outcome = await asService("sign-in: second factor and session", async (tx) => {
    const hasMfa = await mfaEnabled(tx, user.id);
    if (hasMfa) {
      if (!input.totp_code && !input.recovery_code) {
        await auditAccountEventTx(tx, { action: "auth.mfa_required", actorId: user.id, actorRole: user.role }, context);
        return { kind: "mfa_required" as const };
      }
      if ((await checkSecondFactor(tx, user.id, input, context)) !== "ok") return { kind: "bad_code" as const };
    }
    const mfaPending = !hasMfa && user.role === "provider" && (await clinicRequiresProviderMfa(tx));
    await clearFailures(tx, emailKey);
    const started = await startSession(tx, { id: user.id, role: user.role }, hasMfa ? "aal2" : "aal1", context, { mfaPending });
    await auditAccountEventTx(
      tx,
      { action: "auth.sign_in", actorId: user.id, actorRole: user.role, details: { session_id: started.session.sessionId, aal: started.session.aal } },
      context,
    );
    const account = (await loadAccount(tx, user.id))!;
    return { kind: "ok" as const, ...started, user: account };
  }, context);

  if (outcome.kind === "mfa_required") {
    throw new UnauthorizedError("Enter the code from your authenticator app (or a recovery code).", "mfa_required");
  }
  if (outcome.kind === "bad_code") {
    await fail(emailKey, user.id, "wrong_mfa_code", context);
    throw new UnauthorizedError("The two-factor code is not right.", "invalid_mfa_code");
  }
  return { session: outcome.session, tokens: outcome.tokens, user: outcome.user };
}

async function fail(emailKey: string, userId: string | null, reason: string, context: RequestContext): Promise<void> {
  await asService("sign-in failure: count and audit", async (tx) => {
    const locked = await recordFailure(tx, emailKey);
    await auditAccountEventTx(tx, { action: "auth.sign_in_failed", actorId: userId, details: { reason } }, context);
    if (locked) await auditAccountEventTx(tx, { action: "auth.account_locked", actorId: userId, details: { seconds: locked } }, context);
  }, context);
}
