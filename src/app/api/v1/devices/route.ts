import { authed } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { parseJson, parseQuery } from "@/core/http/parse";
import { registerDevice } from "@/core/vitals/register-device";
import { listDevices } from "@/core/vitals/list-devices";
import { ZRegisterDeviceRequest } from "@/core/vitals/devices.types";
import { ZListDevicesQuery } from "@/core/vitals/list-devices.types";

export const dynamic = "force-dynamic";

export const GET = authed(async ({ req, session, context }) => {
  const q = parseQuery(req, ZListDevicesQuery);
  return json({ data: await listDevices(session, { patientId: q.patient_id?.toLowerCase() }, context) });
});

export const POST = authed(async ({ req, session, context }) => {
  const input = await parseJson(req, ZRegisterDeviceRequest);
  return json(await registerDevice(session, input, context), 201);
});
