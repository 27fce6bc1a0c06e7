"use client";

import { NewAppointmentDialog, type TeamProvider } from "./appointment-form";

/** A patient asks a provider of their care team for a time; the provider confirms or declines. */
export function RequestAppointmentDialog({ patientId, providers }: { patientId: string; providers: TeamProvider[] }) {
  return (
    <NewAppointmentDialog
      patientId={patientId}
      providers={providers}
      settings={{
        idPrefix: "ra",
        durations: [15, 30, 45, 60],
        initialProvider: providers.length === 1 ? providers[0].provider_id : "",
        providerPlaceholder: "Choose from your care team…",
        trigger: { label: "Request an appointment", disabled: providers.length === 0 },
        title: "Request an appointment",
        description: "",
        submit: { label: "Send request", busy: "Sending…" },
        success: "Appointment requested. Your provider will confirm it.",
      }}
    />
  );
}
