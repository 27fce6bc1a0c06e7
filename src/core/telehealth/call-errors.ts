import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type AppError } from "../errors";

/**
 * The telehealth functions' refusals (db/migrations/0910) as the core's errors. Who may not
 * join gets exactly what a missing appointment gets: not_found.
 */
export function callError(e: unknown): AppError | undefined {
  const code = (e as { code?: string })?.code;
  if (code === "P0002") return new NotFoundError("appointment");
  if (code === "55000") return new ConflictError("The video visit has not started yet.", "call_not_started");
  if (code === "42501") return new ForbiddenError("Wait for your provider to admit you.", "waiting_for_admission");
  if (code === "22023") return new ValidationError("Unknown signal.", undefined, "invalid_signal");
  return undefined;
}

export async function mapCallErrors<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw callError(e) ?? e;
  }
}
