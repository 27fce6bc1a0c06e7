import { allergyIntoleranceDefinition } from "../resources/allergy-intolerance";
import { appointmentDefinition } from "../resources/appointment";
import { careTeamDefinition } from "../resources/care-team";
import { communicationDefinition } from "../resources/communication";
import { conditionDefinition } from "../resources/condition";
import { deviceDefinition } from "../resources/device";
import { documentReferenceDefinition } from "../resources/document-reference";
import { encounterDefinition } from "../resources/encounter";
import { medicationRequestDefinition } from "../resources/medication-request";
import { observationDefinition } from "../resources/observation";
import { patientDefinition } from "../resources/patient";
import { practitionerDefinition } from "../resources/practitioner";
import type { AnyResourceDefinition } from "../search/resource-definition";
import type { ExportLevel } from "./start-export.types";

/**
 * What a Bulk Data export writes, in this order, through the read API's own definitions
 * (src/core/fhir/resources): the same source rows under the caller's RLS, the same mappers,
 * so an exported resource is exactly what a read returns. Patient-level exports are the
 * Patient compartment; a system-level export adds the practitioners. AuditEvent is not
 * exported (the audit trail has its own export, docs/audit.md).
 */
const COMPARTMENT: AnyResourceDefinition[] = [
  patientDefinition, encounterDefinition, conditionDefinition, observationDefinition, allergyIntoleranceDefinition,
  medicationRequestDefinition, appointmentDefinition, documentReferenceDefinition, careTeamDefinition, deviceDefinition, communicationDefinition,
];
const SYSTEM: AnyResourceDefinition[] = [...COMPARTMENT, practitionerDefinition];

export function exportableDefinitions(level: ExportLevel): AnyResourceDefinition[] {
  return level === "system" ? SYSTEM : COMPARTMENT;
}

export function exportableTypes(level: ExportLevel): string[] {
  return exportableDefinitions(level).map((d) => d.type);
}

export function definitionOf(type: string): AnyResourceDefinition | undefined {
  return SYSTEM.find((d) => d.type === type);
}
