import { z } from "zod";

/** POST /api/v1/auth/token/refresh: a refresh token for a new pair. */
export const ZRefreshRequest = z.object({ refresh_token: z.string().min(1).max(512) });

/** POST /api/v1/auth/mfa/verify: the first code from the authenticator app just enrolled. */
export const ZVerifyRequest = z.object({ code: z.string().trim().min(1).max(16) });
