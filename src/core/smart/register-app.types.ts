import { z } from "zod";
import { isSupportedScope } from "./scopes";

const redirectUri = z
  .string()
  .max(500)
  .url()
  .refine((u) => {
    const url = new URL(u);
    const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
    return (url.protocol === "https:" || (url.protocol === "http:" && local)) && !url.hash;
  }, "must be https (http only for localhost) and carry no fragment");

export const ZRegisterAppRequest = z.object({
  name: z.string().trim().min(1).max(100),
  redirect_uris: z.array(redirectUri).min(1).max(10),
  confidential: z.boolean().default(false),
  scopes: z
    .array(z.string().refine(isSupportedScope, "is not a scope Carebase supports"))
    .min(1)
    .max(64),
});
export type TRegisterAppRequest = z.infer<typeof ZRegisterAppRequest>;

export const ZSetAppDisabledRequest = z.object({ disabled: z.boolean() });
export type TSetAppDisabledRequest = z.infer<typeof ZSetAppDisabledRequest>;

export const ZClientIdParam = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

export interface RegisteredApp {
  client_id: string;
  name: string;
  redirect_uris: string[];
  confidential: boolean;
  scopes: string[];
  disabled: boolean;
  created_at: string;
}
