import { z } from "zod";

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 1980-04-02");
const notFuture = (d: string) => !Number.isNaN(Date.parse(d)) && d <= new Date().toISOString().slice(0, 10);

export const GENDERS = ["female", "male", "other", "unknown"] as const;
export const BLOOD_TYPES = ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"] as const;

const text = (max: number) => z.string().trim().min(1, "is required").max(max, `must be at most ${max} characters`);

export const ZEmergencyContact = z.object({
  name: text(200),
  relationship: z.string().trim().max(100).optional(),
  phone: z.string().trim().regex(/^[0-9+() .-]{5,30}$/, "must be a phone number"),
});

export const ZInsurance = z.object({
  provider: text(200),
  policy_number: text(64),
  group_number: z.string().trim().max(64).optional(),
});

/**
 * The medical record number. Optional: left out or blank, the clinic assigns one
 * (MRN-000123, docs/mrn.md). In a PATCH, blank leaves the MRN as it is.
 */
export const ZMrn = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string().trim().regex(/^[A-Za-z0-9-]{3,32}$/, "must be 3–32 letters, digits or dashes").optional(),
);

/** The fields staff may set on a patient record. Anything else in the body is ignored. */
export const ZPatientFields = z.object({
  first_name: text(100),
  last_name: text(100),
  date_of_birth: isoDate
    .refine(notFuture, "cannot be in the future")
    .refine((d) => d >= "1880-01-01", "is too far in the past"),
  gender: z.enum(GENDERS),
  blood_type: z.enum(BLOOD_TYPES).nullable().optional(),
  allergies: z.array(text(100)).max(100, "at most 100 allergies"),
  emergency_contact: ZEmergencyContact.nullable().optional(),
  address: z.string().trim().max(500).nullable().optional(),
  insurance: ZInsurance.nullable().optional(),
  mrn: ZMrn,
});

export const ZCreatePatientRequest = ZPatientFields.extend({ allergies: ZPatientFields.shape.allergies.default([]) });
export type TCreatePatientRequest = z.infer<typeof ZCreatePatientRequest>;

// No defaults here: a field left out of a PATCH is left alone.
export const ZUpdatePatientRequest = ZPatientFields.partial().refine(
  (v) => Object.values(v).some((x) => x !== undefined),
  "send at least one field to change",
);
export type TUpdatePatientRequest = z.infer<typeof ZUpdatePatientRequest>;

export const PATIENT_SORTS = ["name", "-name", "date_of_birth", "-date_of_birth", "last_visit", "-last_visit"] as const;

export const ZListPatientsQuery = z.object({
  search: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  sort: z.enum(PATIENT_SORTS).default("name"),
});
export type TListPatientsQuery = z.infer<typeof ZListPatientsQuery>;
