"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { UserPlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { BLOOD_TYPES, GENDERS, ZCreatePatientRequest } from "@/core/clinical/patients.types";
import { Field, FormError } from "./form";
import { TagInput } from "./tag-input";
import { useJsonForm } from "./use-json-form";
import { titleCase } from "./format";

const EMPTY = {
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

/** Registers a patient; the server puts the registering provider on the care team as attending. */
export function NewPatientDialog() {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const f = useJsonForm(EMPTY);
  const v = f.values;
  const e = f.errors;

  function body() {
    const blank = (s: string) => s.trim() === "";
    return {
      first_name: v.first_name,
      last_name: v.last_name,
      date_of_birth: v.date_of_birth,
      gender: v.gender || undefined,
      blood_type: v.blood_type || null,
      mrn: v.mrn,
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

  async function onSubmit(ev: React.FormEvent) {
    ev.preventDefault();
    const r = await f.submit<typeof ZCreatePatientRequest, { id: string }>(ZCreatePatientRequest, body(), "/api/v1/patients");
    if (r?.ok) {
      toast.success("Patient registered.");
      setOpen(false);
      f.setValues(EMPTY);
      router.push(`/patients/${r.data.id}`);
    } else if (r && !r.ok) {
      toast.error(r.error.status === 409 ? "This MRN is already in use." : r.error.message);
    }
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <UserPlusIcon aria-hidden />
          New patient
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>New patient</DialogTitle>
          <DialogDescription>You join the patient&apos;s care team as attending. Fields marked * are required.</DialogDescription>
        </DialogHeader>
        <form method="post" onSubmit={onSubmit} noValidate className="grid gap-5" id="new-patient-form">
          <FormError message={f.formError} />
          <fieldset className="grid gap-4 sm:grid-cols-2">
            <legend className="mb-2 text-sm font-semibold">Identity</legend>
            <Field id="np-first_name" label="First name" error={e.first_name} required>
              <Input autoComplete="off" {...f.bind("first_name")} />
            </Field>
            <Field id="np-last_name" label="Last name" error={e.last_name} required>
              <Input autoComplete="off" {...f.bind("last_name")} />
            </Field>
            <Field id="np-date_of_birth" label="Date of birth" error={e.date_of_birth} required>
              <Input type="date" max={new Date().toISOString().slice(0, 10)} {...f.bind("date_of_birth")} />
            </Field>
            <Field id="np-gender" label="Gender" error={e.gender} required>
              <NativeSelect {...f.bind("gender")}>
                <option value="">Choose…</option>
                {GENDERS.map((g) => (
                  <option key={g} value={g}>
                    {titleCase(g)}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <Field id="np-mrn" label="Medical record number (MRN)" error={e.mrn} hint="3–32 letters, digits or dashes; unique in the clinic." required>
              <Input autoComplete="off" className="font-mono" {...f.bind("mrn")} />
            </Field>
            <Field id="np-blood_type" label="Blood type" error={e.blood_type}>
              <NativeSelect {...f.bind("blood_type")}>
                <option value="">Unknown</option>
                {BLOOD_TYPES.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <Field id="np-allergies" label="Allergies" error={e.allergies ?? Object.entries(e).find(([k]) => k.startsWith("allergies."))?.[1]} hint="Type one and press Enter." className="sm:col-span-2">
              <TagInput value={v.allergies} onChange={(tags) => f.set("allergies", tags)} placeholder="e.g. penicillin" />
            </Field>
            <Field id="np-address" label="Address" error={e.address} className="sm:col-span-2">
              <Textarea rows={2} {...f.bind("address")} />
            </Field>
          </fieldset>
          <fieldset className="grid gap-4 sm:grid-cols-3">
            <legend className="mb-2 text-sm font-semibold">Emergency contact</legend>
            <Field id="np-ec_name" label="Name" error={e["emergency_contact.name"]}>
              <Input autoComplete="off" {...f.bind("ec_name")} />
            </Field>
            <Field id="np-ec_relationship" label="Relationship" error={e["emergency_contact.relationship"]}>
              <Input autoComplete="off" {...f.bind("ec_relationship")} />
            </Field>
            <Field id="np-ec_phone" label="Phone" error={e["emergency_contact.phone"]}>
              <Input type="tel" autoComplete="off" {...f.bind("ec_phone")} />
            </Field>
          </fieldset>
          <fieldset className="grid gap-4 sm:grid-cols-3">
            <legend className="mb-2 text-sm font-semibold">Insurance</legend>
            <Field id="np-ins_provider" label="Insurer" error={e["insurance.provider"]}>
              <Input autoComplete="off" {...f.bind("ins_provider")} />
            </Field>
            <Field id="np-ins_policy_number" label="Policy number" error={e["insurance.policy_number"]}>
              <Input autoComplete="off" {...f.bind("ins_policy_number")} />
            </Field>
            <Field id="np-ins_group_number" label="Group number" error={e["insurance.group_number"]}>
              <Input autoComplete="off" {...f.bind("ins_group_number")} />
            </Field>
          </fieldset>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={f.busy}>
              {f.busy ? "Registering…" : "Register patient"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
