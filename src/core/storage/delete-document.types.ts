import { z } from "zod";

export const ZDeleteDocumentRequest = z.object({
  reason: z.string().trim().min(1, "Give a reason.").max(1000),
});
export type TDeleteDocumentRequest = z.output<typeof ZDeleteDocumentRequest>;
