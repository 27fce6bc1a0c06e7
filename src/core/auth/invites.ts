import { randomInt, randomUUID } from "node:crypto";
import { z } from "zod";
import { sql } from "kysely";
import { withUser, type RequestContext } from "../db/with-user";
import { prepareMail } from "../mail/enqueue-mail";
import { NotFoundError } from "../errors";
import { auditAccountEvent } from "./audit-events";
import { requireAdmin } from "./require";
import type { Session } from "./session-types";
import { sha256Hex } from "./tokens";

export const ZCreateInviteRequest = z.object({
  expires_in_hours: z.number().int().min(1).max(24 * 14).optional(),
  /** Also mail the invitation here (the clinic's name and the link; nothing clinical). */
  email: z.email("must be a valid email address").trim().toLowerCase().max(254).optional(),
});
export type TCreateInviteRequest = z.infer<typeof ZCreateInviteRequest>;

export const INVITE_DEFAULT_HOURS = 72;

/** Readable codes (no 0/O/1/I): 16 characters ≈ 80 bits, e.g. "K7QX-M2PA-9RTW-4HNE". */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export function newInviteCode(): string {
  const c = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
  return c.match(/.{4}/g)!.join("-");
}

export function hashInviteCode(code: string): string {
  return sha256Hex(code.toUpperCase().replace(/[^A-Z0-9]/g, ""));
}

export interface CreatedInvite {
  invite_code: string;
  expires_at: string;
  /** The code travels in the fragment, which browsers never send to a server or its logs. */
  invite_url: string;
  /** True when the invitation was also mailed (to the `email` given). */
  mailed?: boolean;
}

/**
 * A care-team member or admin invites the patient of a record to the portal. The insert
 * runs under RLS: the database decides who may invite. Only the code's hash is stored.
 */
export async function createInvite(
  session: Session,
  patientId: string,
  input: TCreateInviteRequest,
  baseUrl: string,
  context: RequestContext = {},
): Promise<CreatedInvite> {
  if (session.role === "admin") requireAdmin(session);
  const code = newInviteCode();
  const expiresAt = new Date(Date.now() + (input.expires_in_hours ?? INVITE_DEFAULT_HOURS) * 3600_000);
  const id = randomUUID();
  await withUser(session, async (tx) => {
    // Invisible and missing records answer the same 404; a visible record the caller may not invite for is refused by RLS (403).
    const visible = await tx.selectFrom("patients").select("id").where("id", "=", patientId).executeTakeFirst();
    if (!visible) throw new NotFoundError("patient");
    await tx
      .insertInto("invites")
      .values({ id, patient_id: patientId, code_hash: hashInviteCode(code), created_by: session.userId, expires_at: expiresAt })
      .execute();
    if (input.email) {
      // in this transaction: app.mail_patient_invite (0630) mails only an unused invite the caller just made
      const m = prepareMail({ kind: "patient_invite", to: input.email, params: { code } });
      await sql`select app.mail_patient_invite(${id}::uuid, ${input.email}, ${m.subject}, ${m.bodySealed}, ${m.status})`.execute(tx);
    }
  }, context);
  await auditAccountEvent(
    { action: "auth.invite_created", actorId: session.userId, actorRole: session.role, patientId, details: { invite_id: id, mailed: !!input.email } },
    context,
  );
  return {
    invite_code: code,
    expires_at: expiresAt.toISOString(),
    invite_url: `${baseUrl.replace(/\/$/, "")}/sign-up#invite_code=${code}`,
    ...(input.email ? { mailed: true } : {}),
  };
}
