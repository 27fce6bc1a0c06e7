import { sql } from "kysely";
import { database } from "@/core/db";
import { json } from "@/core/http/respond";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    const db = await database();
    await sql`select 1`.execute(db.kysely);
    return json({ status: "ok", database: db.kind === "pglite" ? "pglite" : "postgresql" });
  } catch {
    return json({ status: "unavailable", error: { code: "database_unavailable", message: "The database is not reachable." } }, 503);
  }
}
