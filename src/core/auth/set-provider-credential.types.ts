import { z } from "zod";
import { ZProviderCredential } from "./provider-credentials";

export const ZSetProviderCredentialRequest = z.object({ credential: ZProviderCredential });
export type TSetProviderCredentialRequest = z.infer<typeof ZSetProviderCredentialRequest>;
