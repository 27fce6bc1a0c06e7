"use client";

import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { BLOOD_TYPES, GENDERS } from "@/core/clinical/patients.types";
import { Field, type FieldErrors } from "./form";
import { TagInput } from "./tag-input";
import { titleCase } from "./format";
import type { useJsonForm } from "./use-json-form";

/** The patient form as typed: flat strings, so nothing is lost when the server refuses it. */
export const EMPTY_PATIENT_FORM = {
  first_name: "",
  last_name: "",
  date_of_birth: "",
  gender: "",
  blood_type: "",
  mrn: "",
  address: "",
  allergies: [] as string[],
  ec_name: "",
  ec_relationship: "",
  ec_phone: "",
  ins_provider: "",
  ins_policy_number: "",
  ins_group_number: "",
};
export type PatientFormValues = typeof EMPTY_PATIENT_FORM;

/** The values of a stored record, for editing. */
export function patientFormValues(p: {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  gender: string;
  blood_type: string | null;
  mrn: string;
  address: string | null;
  allergies: string[];
  emergency_contact: Record<string, unknown> | null;
  insurance: Record<string, unknown> | null;
}): PatientFormValues {
  const s = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    first_name: p.first_name,
    last_name: p.last_name,
    date_of_birth: p.date_of_birth,
    gender: p.gender,
    blood_type: p.blood_type ?? "",
    mrn: p.mrn,
    address: p.address ?? "",
    allergies: [...p.allergies],
    ec_name: s(p.emergency_contact?.name),
    ec_relationship: s(p.emergency_contact?.relationship),
    ec_phone: s(p.emergency_contact?.phone),
    ins_provider: s(p.insurance?.provider),
    ins_policy_number: s(p.insurance?.policy_number),
    ins_group_number: s(p.insurance?.group_number),
  };
}

/** The JSON body for ZCreatePatientRequest / ZUpdatePatientRequest: blank groups become null. */
export function patientBody(v: PatientFormValues, opts: { mrn: boolean }) {
  const blank = (s: string) => s.trim() === "";
  return {
    first_name: v.first_name,
    last_name: v.last_name,
    date_of_birth: v.date_of_birth,
    gender: v.gender || undefined,
    blood_type: v.blood_type || null,
    // blank: the clinic assigns one
    ...(opts.mrn && v.mrn.trim() !== "" ? { mrn: v.mrn } : {}),
    address: blank(v.address) ? null : v.address,
    allergies: v.allergies,
    emergency_contact:
      blank(v.ec_name) && blank(v.ec_phone) && blank(v.ec_relationship)
        ? null
        : { name: v.ec_name, relationship: v.ec_relationship || undefined, phone: v.ec_phone },
    insurance:
      blank(v.ins_provider) && blank(v.ins_policy_number) && blank(v.ins_group_number)
        ? null
        : { provider: v.ins_provider, policy_number: v.ins_policy_number, group_number: v.ins_group_number || undefined },
  };
}

type PatientForm = ReturnType<typeof useJsonForm<PatientFormValues>>;

const allergyError = (e: FieldErrors) => e.allergies ?? Object.entries(e).find(([k]) => k.startsWith("allergies."))?.[1];

/**
 * The demographic fields shared by "New patient" and "Edit demographics": identity, allergies,
 * address, emergency contact, insurance. `idPrefix` keeps ids unique per form; the MRN is
 * set at registration only, and is optional there (docs/mrn.md).
 */
export function PatientFields({ f, idPrefix, withMrn }: { f: PatientForm; idPrefix: string; withMrn: boolean }) {
  const v = f.values;
  const e = f.errors;
  const id = (k: string) => `${idPrefix}-${k}`;
  return (
    <>
      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-semibold">Identity</legend>
        <Field id={id("first_name")} label="First name" error={e.first_name} required>
          <Input autoComplete="off" {...f.bind("first_name")} />
        </Field>
        <Field id={id("last_name")} label="Last name" error={e.last_name} required>
          <Input autoComplete="off" {...f.bind("last_name")} />
        </Field>
        <Field id={id("date_of_birth")} label="Date of birth" error={e.date_of_birth} required>
          <Input type="date" max={new Date().toISOString().slice(0, 10)} {...f.bind("date_of_birth")} />
        </Field>
        <Field id={id("gender")} label="Gender" error={e.gender} required>
          <NativeSelect {...f.bind("gender")}>
            <option value="">Choose…</option>
            {GENDERS.map((g) => (
              <option key={g} value={g}>
                {titleCase(g)}
              </option>
            ))}
          </NativeSelect>
        </Field>
        {withMrn && (
          <Field id={id("mrn")} label="Medical record number (MRN)" error={e.mrn} hint="Leave empty to have one assigned (or type 3–32 letters, digits or dashes).">
            <Input autoComplete="off" className="font-mono" {...f.bind("mrn")} />
          </Field>
        )}
        <Field id={id("blood_type")} label="Blood type" error={e.blood_type}>
          <NativeSelect {...f.bind("blood_type")}>
            <option value="">Unknown</option>
            {BLOOD_TYPES.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Field id={id("allergies")} label="Allergies" error={allergyError(e)} hint="Type one and press Enter." className="sm:col-span-2">
          <TagInput value={v.allergies} onChange={(tags) => f.set("allergies", tags)} placeholder="e.g. penicillin" />
        </Field>
        <Field id={id("address")} label="Address" error={e.address} className="sm:col-span-2">
          <Textarea rows={2} {...f.bind("address")} />
        </Field>
      </fieldset>
      <fieldset className="grid gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold">Emergency contact</legend>
        <Field id={id("ec_name")} label="Name" error={e["emergency_contact.name"]}>
          <Input autoComplete="off" {...f.bind("ec_name")} />
        </Field>
        <Field id={id("ec_relationship")} label="Relationship" error={e["emergency_contact.relationship"]}>
          <Input autoComplete="off" {...f.bind("ec_relationship")} />
        </Field>
        <Field id={id("ec_phone")} label="Phone" error={e["emergency_contact.phone"]}>
          <Input type="tel" autoComplete="off" {...f.bind("ec_phone")} />
        </Field>
      </fieldset>
      <fieldset className="grid gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold">Insurance</legend>
        <Field id={id("ins_provider")} label="Insurer" error={e["insurance.provider"]}>
          <Input autoComplete="off" {...f.bind("ins_provider")} />
        </Field>
        <Field id={id("ins_policy_number")} label="Policy number" error={e["insurance.policy_number"]}>
          <Input autoComplete="off" {...f.bind("ins_policy_number")} />
        </Field>
        <Field id={id("ins_group_number")} label="Group number" error={e["insurance.group_number"]}>
          <Input autoComplete="off" {...f.bind("ins_group_number")} />
        </Field>
      </fieldset>
    </>
  );
}
