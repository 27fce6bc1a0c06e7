import { authed } from "@/core/http/route";
import { parseId } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { verifyProvider } from "@/core/auth/verify-provider";

export const POST = authed<{ id: string }>(async ({ params, session, context }) => {
  const id = parseId(params.id, "provider id");
  return json(await verifyProvider(session, id, context));
});
