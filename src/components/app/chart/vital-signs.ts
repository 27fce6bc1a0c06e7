/**
 * A visit's vital signs as people read them: in the order clinicians record them (the order
 * of the new-visit form), with their proper labels ("SpO₂", not "Spo2") and units. Keys this
 * list does not know follow, alphabetically, with a label made from the key.
 */
export const VITAL_SIGNS = [
  { key: "blood_pressure", label: "Blood pressure", unit: "mmHg" },
  { key: "heart_rate", label: "Heart rate", unit: "bpm" },
  { key: "temperature_c", label: "Temperature", unit: "°C" },
  { key: "respiratory_rate", label: "Respiratory rate", unit: "/min" },
  { key: "spo2", label: "SpO₂", unit: "%" },
  { key: "weight_kg", label: "Weight", unit: "kg" },
  { key: "height_cm", label: "Height", unit: "cm" },
] as const;

export interface VitalSignRow {
  key: string;
  label: string;
  value: string;
  unit: string;
}

export function vitalSignRows(vitals: Record<string, unknown> | null | undefined): VitalSignRow[] {
  const present = Object.entries(vitals ?? {}).filter(([, x]) => x !== null && x !== undefined && x !== "");
  const rank = (k: string) => {
    const i = VITAL_SIGNS.findIndex((v) => v.key === k);
    return i === -1 ? VITAL_SIGNS.length : i;
  };
  present.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  return present.map(([key, x]) => {
    const known = VITAL_SIGNS.find((v) => v.key === key);
    const label = known?.label ?? key.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
    return { key, label, value: String(x), unit: known?.unit ?? "" };
  });
}
