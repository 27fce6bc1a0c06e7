import { authed } from "@/core/http/route";
import { parseId, parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { setProviderCredential } from "@/core/auth/set-provider-credential";
import { ZSetProviderCredentialRequest } from "@/core/auth/set-provider-credential.types";

export const dynamic = "force-dynamic";

export const PUT = authed<{ id: string }>(async ({ req, params, session, context }) => {
  const id = parseId(params.id, "provider id");
  return json(await setProviderCredential(session, id, await parseJson(req, ZSetProviderCredentialRequest), context));
});
