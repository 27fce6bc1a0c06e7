import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id with OWASP's second recommended profile (19 MiB, t=2, p=1). Sign-in is
 * deliberately slow; bench/auth.ts reports what it costs here.
 */
const PARAMS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A real hash of a random password: verifying against it makes "no such user" as slow as a wrong password. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`));
}
