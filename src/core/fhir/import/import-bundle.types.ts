import { z } from "zod";

/**
 * The parts of FHIR R4 the transaction import reads. Resources are loose objects: the
 * elements named here are checked, the others are reported as not stored (information
 * issues in the entry's outcome), never silently lost.
 */

export const IMPORTABLE_TYPES = [
  "Patient", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest", "Observation", "Appointment", "DocumentReference",
] as const;
export type ImportableType = (typeof IMPORTABLE_TYPES)[number];

/** At most this many entries in one transaction (npm run import splits nothing: send several files). */
export const MAX_ENTRIES = 5_000;
/** The body cap: documents travel base64-encoded inline (10 MB each at most by default). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

const text = z.string();
export const ZCoding = z.looseObject({ system: text.optional(), code: text.optional(), display: text.optional() });
export const ZCodeableConcept = z.looseObject({ coding: z.array(ZCoding).optional(), text: text.optional() });
export const ZReference = z.looseObject({ reference: text.optional(), display: text.optional() });
export const ZQuantity = z.looseObject({ value: z.number().optional(), unit: text.optional(), system: text.optional(), code: text.optional() });
export const ZPeriod = z.looseObject({ start: text.optional(), end: text.optional() });

export const ZBundleEntry = z.looseObject({
  fullUrl: text.max(2000).optional(),
  resource: z.looseObject({ resourceType: text, id: text.max(64).optional() }),
  request: z.looseObject({
    method: z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    url: text.max(2000),
    ifNoneExist: text.optional(),
    ifMatch: text.optional(),
    ifNoneMatch: text.optional(),
    ifModifiedSince: text.optional(),
  }),
});
export type TBundleEntry = z.infer<typeof ZBundleEntry>;

export const ZTransactionBundle = z.looseObject({
  resourceType: z.literal("Bundle", "must be \"Bundle\""),
  type: z.literal("transaction", "must be \"transaction\" (batches are not supported)"),
  entry: z.array(z.unknown()).min(1, "must hold at least one entry").max(MAX_ENTRIES, `must hold at most ${MAX_ENTRIES} entries`),
});

export const ZHumanName = z.looseObject({ use: text.optional(), text: text.optional(), family: text.optional(), given: z.array(text).optional() });
export const ZContactPoint = z.looseObject({ system: text.optional(), value: text.optional(), use: text.optional() });
export const ZAddress = z.looseObject({
  text: text.optional(), line: z.array(text).optional(), city: text.optional(), district: text.optional(),
  state: text.optional(), postalCode: text.optional(), country: text.optional(),
});
export const ZIdentifier = z.looseObject({ type: ZCodeableConcept.optional(), system: text.optional(), value: text.optional() });

export const ZPatient = z.looseObject({
  resourceType: z.literal("Patient"),
  identifier: z.array(ZIdentifier).optional(),
  name: z.array(ZHumanName).optional(),
  gender: z.enum(["male", "female", "other", "unknown"]).optional(),
  birthDate: text.optional(),
  address: z.array(ZAddress).optional(),
  contact: z.array(z.looseObject({ relationship: z.array(ZCodeableConcept).optional(), name: ZHumanName.optional(), telecom: z.array(ZContactPoint).optional() })).optional(),
});

export const ZEncounter = z.looseObject({
  resourceType: z.literal("Encounter"),
  status: text,
  class: ZCoding.optional(),
  type: z.array(ZCodeableConcept).optional(),
  serviceType: ZCodeableConcept.optional(),
  subject: ZReference.optional(),
  period: ZPeriod.optional(),
  reasonCode: z.array(ZCodeableConcept).optional(),
});

export const ZCondition = z.looseObject({
  resourceType: z.literal("Condition"),
  code: ZCodeableConcept.optional(),
  subject: ZReference,
  encounter: ZReference.optional(),
  onsetDateTime: text.optional(),
  recordedDate: text.optional(),
  verificationStatus: ZCodeableConcept.optional(),
});

export const ZAllergyIntolerance = z.looseObject({
  resourceType: z.literal("AllergyIntolerance"),
  code: ZCodeableConcept.optional(),
  patient: ZReference,
  verificationStatus: ZCodeableConcept.optional(),
});

const ZTiming = z.looseObject({
  code: ZCodeableConcept.optional(),
  repeat: z.looseObject({ frequency: z.number().optional(), period: z.number().optional(), periodUnit: text.optional() }).optional(),
});
export const ZDosage = z.looseObject({
  text: text.optional(),
  timing: ZTiming.optional(),
  asNeededBoolean: z.boolean().optional(),
  doseAndRate: z.array(z.looseObject({ doseQuantity: ZQuantity.optional() })).optional(),
});

export const ZMedicationRequest = z.looseObject({
  resourceType: z.literal("MedicationRequest"),
  status: text,
  contained: z.array(z.looseObject({ resourceType: text, id: text.optional(), code: ZCodeableConcept.optional() })).optional(),
  medicationCodeableConcept: ZCodeableConcept.optional(),
  medicationReference: ZReference.optional(),
  subject: ZReference,
  encounter: ZReference.optional(),
  authoredOn: text.optional(),
  statusReason: ZCodeableConcept.optional(),
  dosageInstruction: z.array(ZDosage).optional(),
  dispenseRequest: z.looseObject({ validityPeriod: ZPeriod.optional() }).optional(),
});

const ZObservationValue = {
  valueQuantity: ZQuantity.optional(),
};
export const ZObservation = z.looseObject({
  resourceType: z.literal("Observation"),
  status: text,
  code: ZCodeableConcept,
  subject: ZReference.optional(),
  encounter: ZReference.optional(),
  effectiveDateTime: text.optional(),
  effectiveInstant: text.optional(),
  effectivePeriod: ZPeriod.optional(),
  ...ZObservationValue,
  component: z.array(z.looseObject({ code: ZCodeableConcept, ...ZObservationValue })).optional(),
});

export const ZAppointment = z.looseObject({
  resourceType: z.literal("Appointment"),
  status: text,
  start: text.optional(),
  end: text.optional(),
  description: text.optional(),
  comment: text.optional(),
  reasonCode: z.array(ZCodeableConcept).optional(),
  participant: z.array(z.looseObject({ actor: ZReference.optional() })),
});

export const ZDocumentReference = z.looseObject({
  resourceType: z.literal("DocumentReference"),
  status: text,
  type: ZCodeableConcept.optional(),
  category: z.array(ZCodeableConcept).optional(),
  subject: ZReference.optional(),
  description: text.optional(),
  content: z.array(z.looseObject({
    attachment: z.looseObject({ contentType: text.optional(), data: text.optional(), url: text.optional(), title: text.optional() }),
  })).min(1),
});
