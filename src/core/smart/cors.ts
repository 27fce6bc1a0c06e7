import { sql } from "kysely";
import { asService } from "../db/with-user";

/**
 * CORS for /fhir/R4: apps run in browsers, so the origins of registered (enabled) apps'
 * redirect URIs may call it with their bearer tokens. No credentials (cookies) cross.
 * The list is read at most every 30 seconds per instance.
 */
let origins: { at: number; set: Set<string> } | undefined;
const TTL_MS = 30_000;

export function forgetAppOrigins(): void {
  origins = undefined;
}

async function appOrigins(): Promise<Set<string>> {
  if (origins && Date.now() - origins.at < TTL_MS) return origins.set;
  const uris = await asService("CORS: the origins of registered apps", async (tx) => {
    const { rows } = await sql<{ uri: string }>`select distinct unnest(redirect_uris) as uri from app.smart_apps where not disabled`.execute(tx);
    return rows.map((r) => r.uri);
  });
  const set = new Set<string>();
  for (const u of uris) {
    try {
      set.add(new URL(u).origin);
    } catch {
      /* registered URIs are validated; skip anything else */
    }
  }
  origins = { at: Date.now(), set };
  return set;
}

export async function corsHeadersFor(origin: string | undefined): Promise<Record<string, string> | null> {
  if (!origin || origin === "null") return null;
  if (!(await appOrigins()).has(origin)) return null;
  return { "Access-Control-Allow-Origin": origin, Vary: "Origin", "Access-Control-Expose-Headers": "Location, X-Request-Id" };
}
