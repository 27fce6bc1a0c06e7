import { describe, expect, it } from "vitest";
import { vitalSignRows } from "./vital-signs";

describe("a visit's vital signs", () => {
  it("come in the order they are recorded, whatever order the JSON has", () => {
    const rows = vitalSignRows({ weight_kg: 70, spo2: 98, blood_pressure: "120/80", heart_rate: 72, temperature_c: 36.8, height_cm: 175, respiratory_rate: 14 });
    expect(rows.map((r) => r.key)).toEqual(["blood_pressure", "heart_rate", "temperature_c", "respiratory_rate", "spo2", "weight_kg", "height_cm"]);
  });
  it("are labelled as clinicians write them, with units", () => {
    const rows = vitalSignRows({ spo2: 97, temperature_c: 37.1 });
    expect(rows).toEqual([
      { key: "temperature_c", label: "Temperature", value: "37.1", unit: "°C" },
      { key: "spo2", label: "SpO₂", value: "97", unit: "%" },
    ]);
    expect(rows.map((r) => r.label)).not.toContain("Spo2");
  });
  it("leave out empty values and put unknown keys last", () => {
    const rows = vitalSignRows({ glucose_mg_dl: 90, heart_rate: null, spo2: "", pain_score: 3, blood_pressure: "110/70" });
    expect(rows.map((r) => r.label)).toEqual(["Blood pressure", "Glucose mg dl", "Pain score"]);
    expect(vitalSignRows(null)).toEqual([]);
  });
});
