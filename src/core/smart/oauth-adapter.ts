import { sql } from "kysely";
import type { Adapter, AdapterPayload } from "oidc-provider";
import { sha256Hex } from "../auth/tokens";
import { asService } from "../db/with-user";
import { log } from "../log";
import { clientMetadata } from "./client-metadata";
import { revokeGrantConnection } from "./revoke-grant-connection";

/**
 * oidc-provider's storage, in the database (app.oauth_payloads) so that every instance
 * sees the same codes and tokens and a restart loses nothing. Ids are stored as their
 * SHA-256: an opaque access or refresh token IS its id, and the table must not hold usable
 * bearer tokens. Clients come from the registry (app.smart_apps), not from this table.
 */
export class DatabaseAdapter implements Adapter {
  constructor(private readonly model: string) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const stored: AdapterPayload = { ...payload };
    delete stored.jti; // the id itself: kept out of the table, put back on read
    const expires = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    await asService("OAuth server: store a code, token or grant", (tx) =>
      sql`insert into app.oauth_payloads (model, id_hash, payload, grant_id, uid, expires_at)
          values (${this.model}, ${sha256Hex(id)}, ${JSON.stringify(stored)}::jsonb, ${payload.grantId ?? null}, ${payload.uid ?? null}, ${expires})
          on conflict (model, id_hash) do update
             set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at`.execute(tx),
    );
    // expired rows are never read; about one write in a hundred clears them (no job to schedule)
    if (Math.random() < 0.01) {
      sweepExpiredPayloads().catch((e: unknown) => log.warn({ err: (e as Error)?.message }, "OAuth payload sweep failed"));
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === "Client") return clientMetadata(id);
    const row = await asService("OAuth server: look up a code, token or grant", async (tx) => {
      const { rows } = await sql<{ payload: AdapterPayload; consumed: boolean }>`
        select payload, consumed_at is not null as consumed from app.oauth_payloads
         where model = ${this.model} and id_hash = ${sha256Hex(id)} and (expires_at is null or expires_at > now())`.execute(tx);
      return rows[0];
    });
    if (!row) return undefined;
    return { ...row.payload, jti: id, ...(row.consumed ? { consumed: true } : {}) };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const row = await asService("OAuth server: look up a session by its uid", async (tx) => {
      const { rows } = await sql<{ payload: AdapterPayload }>`
        select payload from app.oauth_payloads
         where model = ${this.model} and uid = ${uid} and (expires_at is null or expires_at > now())`.execute(tx);
      return rows[0];
    });
    return row?.payload;
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // no device flow
  }

  async consume(id: string): Promise<void> {
    await asService("OAuth server: mark a code or refresh token used", (tx) =>
      sql`update app.oauth_payloads set consumed_at = now() where model = ${this.model} and id_hash = ${sha256Hex(id)}`.execute(tx),
    );
  }

  async destroy(id: string): Promise<void> {
    await asService("OAuth server: remove a code, token or grant", (tx) =>
      sql`delete from app.oauth_payloads where model = ${this.model} and id_hash = ${sha256Hex(id)}`.execute(tx),
    );
  }

  /**
   * Every token of a grant, at once: revocation, a reused code or refresh token. The
   * connection itself ends too (its app session is revoked): an app caught replaying a
   * token must be approved again.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await revokeGrantConnection(grantId, "OAuth server: revoke every token of a grant");
  }
}

/** Expired codes, tokens and interactions, removed (called now and then; a row past expiry is never read). */
export async function sweepExpiredPayloads(): Promise<number> {
  return asService("OAuth server: sweep expired codes and tokens", async (tx) => {
    const r = await sql`delete from app.oauth_payloads where expires_at < now() - interval '1 hour'`.execute(tx);
    return Number(r.numAffectedRows ?? 0);
  });
}
