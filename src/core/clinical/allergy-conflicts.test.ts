import { describe, expect, it } from "vitest";
import { DRUG_CLASSES, findAllergyConflicts } from "./allergy-conflicts";

describe("findAllergyConflicts", () => {
  it("finds nothing without allergies or for unrelated drugs", () => {
    expect(findAllergyConflicts("Amoxicillin 500 mg", [])).toEqual([]);
    expect(findAllergyConflicts("Amoxicillin 500 mg", null)).toEqual([]);
    expect(findAllergyConflicts("Metformin", ["Penicillin", "Latex", "Peanuts"])).toEqual([]);
    expect(findAllergyConflicts("Paracetamol", ["NSAIDs"])).toEqual([]);
  });

  it("matches the same ingredient whatever the case, strength or form", () => {
    expect(findAllergyConflicts("AMOXICILLIN 500 mg capsules", ["amoxicillin"])).toEqual([{ allergy: "amoxicillin", drug_class: null, kind: "match" }]);
    expect(findAllergyConflicts("Codeine phosphate", ["Codeine"])).toEqual([{ allergy: "Codeine", drug_class: null, kind: "match" }]);
  });

  it("matches a class named by the allergy: penicillin → amoxicillin, ampicillin, piperacillin", () => {
    for (const drug of ["Amoxicillin", "Ampicillin 250mg", "Piperacillin/tazobactam", "Co-amoxiclav"]) {
      expect(findAllergyConflicts(drug, ["Penicillin"]), drug).toEqual([{ allergy: "Penicillin", drug_class: "penicillins", kind: "match" }]);
    }
  });

  it("matches an ingredient of the same class: amoxicillin allergy → ampicillin", () => {
    expect(findAllergyConflicts("Ampicillin", ["Amoxicillin"])).toEqual([{ allergy: "Amoxicillin", drug_class: "penicillins", kind: "match" }]);
  });

  it("matches sulfonamides by the usual names (sulfa, sulpha, sulfonamides)", () => {
    for (const allergy of ["Sulfa", "sulpha drugs", "Sulfonamides"]) {
      const found = findAllergyConflicts("Trimethoprim-sulfamethoxazole", [allergy]);
      expect(found, allergy).toHaveLength(1);
      expect(found[0].drug_class).toBe("sulfonamide antibiotics");
    }
  });

  it("matches NSAIDs, aspirin included", () => {
    expect(findAllergyConflicts("Ibuprofen 400 mg", ["NSAIDs"])[0]).toMatchObject({ drug_class: "NSAIDs", kind: "match" });
    expect(findAllergyConflicts("Naproxen", ["Aspirin"])[0]).toMatchObject({ drug_class: "NSAIDs", kind: "match" });
    expect(findAllergyConflicts("Diclofenac gel", ["non-steroidal anti-inflammatory"])[0]).toMatchObject({ drug_class: "NSAIDs" });
  });

  it("flags cephalosporins and carbapenems for a penicillin allergy as cross-reactivity", () => {
    expect(findAllergyConflicts("Cefalexin", ["Penicillin"])).toEqual([{ allergy: "Penicillin", drug_class: "cephalosporins", kind: "cross_reactivity" }]);
    expect(findAllergyConflicts("Meropenem", ["amoxicillin"])).toEqual([{ allergy: "amoxicillin", drug_class: "carbapenems", kind: "cross_reactivity" }]);
    // not the other way round: a cephalosporin allergy does not flag penicillins
    expect(findAllergyConflicts("Amoxicillin", ["Cephalosporins"])).toEqual([]);
  });

  it("reports every matching allergy once", () => {
    const found = findAllergyConflicts("Amoxicillin", ["Penicillin", "Peanuts", "amoxicillin"]);
    expect(found.map((c) => c.allergy)).toEqual(["Penicillin", "amoxicillin"]);
  });

  it("ignores allergy entries too short to mean a drug", () => {
    expect(findAllergyConflicts("Amoxicillin", ["a", " ", "--"])).toEqual([]);
  });

  it("keeps the table well formed: lower-case letters only, no member in two classes", () => {
    const seen = new Map<string, string>();
    for (const c of DRUG_CLASSES) {
      for (const m of [...c.members, ...c.aliases]) expect(m, `${c.name}: ${m}`).toMatch(/^[a-z]+$/);
      for (const m of c.members) {
        expect(seen.get(m), `${m} in ${c.name} and ${seen.get(m)}`).toBeUndefined();
        seen.set(m, c.name);
      }
    }
  });
});
