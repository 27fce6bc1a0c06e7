import { mailConfig } from "../mail/mail-config";

/** The OAuth server's mount path: its issuer is the portal's public address + this. */
export const OAUTH_PREFIX = "/oauth";

/** The portal's public address (PUBLIC_URL, default http://localhost:PORT), read on each call. */
export function publicUrl(): string {
  return mailConfig().publicUrl;
}

export function smartIssuer(): string {
  return `${publicUrl()}${OAUTH_PREFIX}`;
}

export function fhirBaseUrl(): string {
  return `${publicUrl()}/fhir/R4`;
}
