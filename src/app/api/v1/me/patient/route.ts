import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { getMyPatient } from "@/core/clinical/patients";

export const dynamic = "force-dynamic";

export const GET = authed(async ({ session, context }) => json(await getMyPatient(session, context)));
