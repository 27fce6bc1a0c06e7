import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { setupFirstAdmin, setupNeeded, ZSetupRequest } from "@/core/auth/setup";

/** Whether the first-run page should be offered. */
export const GET = open(async ({ context }) => json({ setup_needed: await setupNeeded(context) }));

/** Creates the clinic's first admin; 409 once any admin exists. */
export const POST = open(async ({ req, context }) => {
  const body = await parseJson(req, ZSetupRequest);
  return json({ user: await setupFirstAdmin(body, context) }, 201);
});
