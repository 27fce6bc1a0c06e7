import { open } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { signUp, ZSignUpRequest } from "@/core/auth/signup";

export const POST = open(async ({ req, context }) => {
  const body = await parseJson(req, ZSignUpRequest);
  return json({ user: await signUp(body, context) }, 201);
});
