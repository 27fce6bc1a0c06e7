import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { signIn, ZSignInRequest } from "@/core/auth/signin";

/** Sign-in for API clients: the token pair in the body. */
export const POST = open(async ({ req, context }) => {
  const body = await parseJson(req, ZSignInRequest);
  const { tokens, user } = await signIn(body, context);
  return json({ ...tokens, user });
});
