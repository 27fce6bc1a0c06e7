import { z } from "zod";
import { zUuid } from "../http/parse";

/** GET /api/v1/devices?patient_id= (server-side only: parse.ts is not for client bundles). */
export const ZListDevicesQuery = z.strictObject({ patient_id: zUuid.optional() });
