import type { Session } from "../auth/session-types";
import type { MapContext } from "./search/resource-definition";

export const FHIR_BASE_PATH = "/fhir/R4";

/** Where this request's links point: the origin it came to, and the FHIR base under it. */
export function mapContextFor(requestUrl: string, session: Session): MapContext {
  const origin = new URL(requestUrl).origin;
  return { origin, base: `${origin}${FHIR_BASE_PATH}`, session };
}
