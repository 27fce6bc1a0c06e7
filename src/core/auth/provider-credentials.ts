import { z } from "zod";

/**
 * A provider's professional credential (0610). Prescribing follows the licence: only the
 * PRESCRIBING_CREDENTIALS write prescriptions, and the database decides it
 * (app.prescribable_patient_ids), not this list; keep the two in step.
 */
export const PROVIDER_CREDENTIALS = ["physician", "nurse_practitioner", "physician_assistant", "registered_nurse", "medical_assistant", "other"] as const;
export type TProviderCredential = (typeof PROVIDER_CREDENTIALS)[number];

export const PRESCRIBING_CREDENTIALS: readonly TProviderCredential[] = ["physician", "nurse_practitioner", "physician_assistant"];

export const CREDENTIAL_LABELS: Record<TProviderCredential, string> = {
  physician: "Physician",
  nurse_practitioner: "Nurse practitioner",
  physician_assistant: "Physician assistant",
  registered_nurse: "Registered nurse",
  medical_assistant: "Medical assistant",
  other: "Other",
};

export const ZProviderCredential = z.enum(
  PROVIDER_CREDENTIALS,
  "must be one of physician, nurse_practitioner, physician_assistant, registered_nurse, medical_assistant or other",
);

export const canPrescribe = (credential: string | null | undefined): boolean =>
  PRESCRIBING_CREDENTIALS.includes(credential as TProviderCredential);
