import { authed } from "@/core/http/route";
import { parseJson } from "@/core/http/parse";
import { json } from "@/core/http/respond";
import { getClinicSettings, updateClinicSettings, ZUpdateClinicSettingsRequest } from "@/core/auth/clinic-settings";
import { requireAdmin } from "@/core/auth/require";

export const GET = authed(async ({ session, context }) => json(await getClinicSettings(session, context)));

export const PATCH = authed(async ({ req, session, context }) => {
  requireAdmin(session);
  const body = await parseJson(req, ZUpdateClinicSettingsRequest);
  return json(await updateClinicSettings(session, body, context));
});
