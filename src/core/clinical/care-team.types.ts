import { z } from "zod";
import { zUuid } from "../http/parse";

export const CARE_TEAM_ROLES = ["attending", "nurse", "specialist", "admin"] as const;

export const ZAddCareTeamMemberRequest = z.object({
  provider_id: zUuid,
  role: z.enum(CARE_TEAM_ROLES),
});
export type TAddCareTeamMemberRequest = z.infer<typeof ZAddCareTeamMemberRequest>;
