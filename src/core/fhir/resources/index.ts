import type { AnyResourceDefinition } from "../search/resource-definition";
import type { ParamDef } from "../search/search-params";
import { allergyIntoleranceDefinition } from "./allergy-intolerance";
import { appointmentDefinition } from "./appointment";
import { auditEventDefinition } from "./audit-event";
import { careTeamDefinition } from "./care-team";
import { communicationDefinition } from "./communication";
import { conditionDefinition } from "./condition";
import { deviceDefinition } from "./device";
import { documentReferenceDefinition } from "./document-reference";
import { encounterDefinition } from "./encounter";
import { medicationRequestDefinition } from "./medication-request";
import { observationDefinition } from "./observation";
import { patientDefinition } from "./patient";
import { practitionerDefinition } from "./practitioner";

export { toFhirPatient } from "./patient";
export { toFhirPractitioner } from "./practitioner";
export { toFhirCareTeam } from "./care-team";
export { toFhirEncounter } from "./encounter";
export { toFhirCondition } from "./condition";
export { toFhirAllergyIntolerance } from "./allergy-intolerance";
export { toFhirMedicationRequest } from "./medication-request";
export { toFhirObservation } from "./observation";
export { toFhirDocumentReference } from "./document-reference";
export { toFhirAppointment } from "./appointment";
export { toFhirCommunication } from "./communication";
export { toFhirDevice } from "./device";
export { toFhirAuditEvent } from "./audit-event";

/** Every resource type Carebase serves, in the order $everything and the CapabilityStatement list them. */
export const RESOURCE_DEFINITIONS: AnyResourceDefinition[] = [
  patientDefinition,
  practitionerDefinition,
  careTeamDefinition,
  encounterDefinition,
  conditionDefinition,
  allergyIntoleranceDefinition,
  medicationRequestDefinition,
  observationDefinition,
  documentReferenceDefinition,
  appointmentDefinition,
  communicationDefinition,
  deviceDefinition,
  auditEventDefinition,
];

const BY_TYPE = new Map(RESOURCE_DEFINITIONS.map((d) => [d.type, d]));

export function resourceDefinition(type: string): AnyResourceDefinition | undefined {
  return BY_TYPE.get(type);
}

/** The parameters of a type's search: its own plus _id and _lastUpdated. */
export function searchParamsOf(def: AnyResourceDefinition): Record<string, ParamDef> {
  return {
    _id: { type: "token", columns: ["id"], idType: def.idType, codeCondition: def.idCondition },
    _lastUpdated: { type: "date", columns: ["last_updated"] },
    ...def.params,
  };
}
