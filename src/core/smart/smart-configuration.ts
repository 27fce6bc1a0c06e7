import { IDENTITY_SCOPES } from "./scopes";
import { smartIssuer } from "./smart-urls";

/** GET /fhir/R4/.well-known/smart-configuration (SMART App Launch 2.x discovery). */
export function smartConfiguration() {
  const issuer = smartIssuer();
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    revocation_endpoint: `${issuer}/token/revocation`,
    grant_types_supported: ["authorization_code", "refresh_token"],
    response_types_supported: ["code"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: [...IDENTITY_SCOPES, "patient/*.rs", "user/*.rs", "patient/Patient.rs", "patient/Observation.rs", "patient/MedicationRequest.rs"],
    capabilities: [
      "launch-standalone",
      "client-public",
      "client-confidential-symmetric",
      "context-standalone-patient",
      "permission-patient",
      "permission-user",
      "permission-v2",
      "permission-v1",
      "permission-offline",
      "sso-openid-connect",
    ],
  };
}
