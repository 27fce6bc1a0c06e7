import { z } from "zod";

export const ZRegisterDeviceRequest = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
});
export type TRegisterDeviceRequest = z.infer<typeof ZRegisterDeviceRequest>;

export interface DeviceView {
  id: string;
  patient_id: string;
  name: string;
  created_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
}
