/**
 * Does a medication match one of the patient's recorded allergies? A small, curated table of
 * drug classes (docs/prescribing.md says what it does not cover). Pure: no database, no I/O.
 *
 * An allergy entry matches a medication when, after normalising both (lower case, letters
 * only), the allergy names
 *   - the same ingredient (a word of the medication, or the medication contains it:
 *     "amoxicillin 500 mg" matches "Amoxicillin"),
 *   - a class the ingredient belongs to ("penicillins" matches amoxicillin), or
 *   - an ingredient of the same class ("amoxicillin" allergy matches ampicillin),
 * and, separately, a penicillin allergy is flagged against cephalosporins and carbapenems as
 * cross-reactivity (a lower risk, shown as such, still needing the override).
 *
 * Be careful when editing: a name missing here is a conflict nobody is warned about. Add
 * whole classes with their members and a test beside this file.
 */

export interface AllergyConflict {
  /** The allergy as recorded on the chart. */
  allergy: string;
  /** The drug class that links them, or null for the same ingredient. */
  drug_class: string | null;
  /** "match": same ingredient or class; "cross_reactivity": a related class (lower risk). */
  kind: "match" | "cross_reactivity";
}

interface DrugClass {
  name: string;
  /** Words an allergy entry may use for the class itself. */
  aliases: string[];
  members: string[];
}

/** The curated table. Members are generic names, lower case. */
export const DRUG_CLASSES: readonly DrugClass[] = [
  {
    name: "penicillins",
    aliases: ["penicillin", "penicillins", "betalactam", "betalactams"],
    members: ["penicillin", "amoxicillin", "ampicillin", "piperacillin", "flucloxacillin", "dicloxacillin", "cloxacillin", "nafcillin", "oxacillin", "phenoxymethylpenicillin", "benzylpenicillin", "augmentin", "coamoxiclav"],
  },
  {
    name: "cephalosporins",
    aliases: ["cephalosporin", "cephalosporins"],
    members: ["cefalexin", "cephalexin", "cefazolin", "cefuroxime", "cefaclor", "cefadroxil", "cefprozil", "ceftriaxone", "cefotaxime", "ceftazidime", "cefdinir", "cefixime", "cefpodoxime", "cefepime", "ceftaroline"],
  },
  {
    name: "carbapenems",
    aliases: ["carbapenem", "carbapenems"],
    members: ["meropenem", "imipenem", "ertapenem", "doripenem"],
  },
  {
    name: "sulfonamide antibiotics",
    aliases: ["sulfa", "sulpha", "sulfonamide", "sulfonamides", "sulphonamide", "sulphonamides", "sulfadrugs"],
    members: ["sulfamethoxazole", "trimethoprimsulfamethoxazole", "cotrimoxazole", "bactrim", "septra", "sulfadiazine", "sulfasalazine", "sulfacetamide"],
  },
  {
    name: "NSAIDs",
    aliases: ["nsaid", "nsaids", "nonsteroidalantiinflammatory", "nonsteroidalantiinflammatorydrugs"],
    members: ["ibuprofen", "naproxen", "diclofenac", "aspirin", "acetylsalicylicacid", "ketorolac", "indomethacin", "indometacin", "meloxicam", "piroxicam", "celecoxib", "etoricoxib", "ketoprofen", "nabumetone", "etodolac", "mefenamicacid"],
  },
  {
    name: "opioids",
    aliases: ["opioid", "opioids", "opiate", "opiates"],
    members: ["morphine", "codeine", "oxycodone", "hydrocodone", "hydromorphone", "fentanyl", "tramadol", "tapentadol", "methadone", "buprenorphine"],
  },
  {
    name: "macrolides",
    aliases: ["macrolide", "macrolides"],
    members: ["erythromycin", "azithromycin", "clarithromycin"],
  },
  {
    name: "fluoroquinolones",
    aliases: ["fluoroquinolone", "fluoroquinolones", "quinolone", "quinolones"],
    members: ["ciprofloxacin", "levofloxacin", "moxifloxacin", "ofloxacin", "norfloxacin"],
  },
  {
    name: "tetracyclines",
    aliases: ["tetracyclines"],
    members: ["tetracycline", "doxycycline", "minocycline"],
  },
  {
    name: "ACE inhibitors",
    aliases: ["aceinhibitor", "aceinhibitors", "acei"],
    members: ["lisinopril", "enalapril", "ramipril", "captopril", "perindopril", "benazepril", "quinapril"],
  },
  {
    name: "statins",
    aliases: ["statin", "statins"],
    members: ["atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "lovastatin", "fluvastatin"],
  },
];

/** A related class with a known (lower) cross-reactivity: allergy class → drug classes flagged. */
const CROSS_REACTIVE: Record<string, string[]> = {
  penicillins: ["cephalosporins", "carbapenems"],
};

const normalise = (s: string) => s.toLowerCase().normalize("NFKD").replace(/[^a-z]/g, "");
/** Words an allergy entry adds around the drug ("sulfa drugs", "penicillin allergy"). */
const FILLER = new Set(["drug", "drugs", "allergy", "allergic", "antibiotic", "antibiotics", "class", "medication", "medications"]);
function allergyKey(recorded: string): string {
  return recorded.toLowerCase().normalize("NFKD").split(/[^a-z]+/).filter((w) => w && !FILLER.has(w)).join("");
}
/** The words of a medication name (letters only), and the whole name run together. */
function medicationTerms(medication: string): string[] {
  const words = medication.toLowerCase().normalize("NFKD").split(/[^a-z]+/).filter((w) => w.length >= 3);
  return [...words, normalise(medication)];
}

function classesOfMedication(terms: string[]): DrugClass[] {
  return DRUG_CLASSES.filter((c) => c.members.some((m) => terms.some((t) => t === m || (m.length >= 6 && t.includes(m)))));
}

function classesNamedByAllergy(allergy: string): DrugClass[] {
  return DRUG_CLASSES.filter((c) => c.aliases.includes(allergy) || c.members.includes(allergy));
}

/** The recorded allergies that this medication conflicts with; empty when none. */
export function findAllergyConflicts(medication: string, allergies: readonly string[] | null | undefined): AllergyConflict[] {
  if (!allergies?.length) return [];
  const terms = medicationTerms(medication);
  const drugClasses = classesOfMedication(terms);
  const conflicts: AllergyConflict[] = [];
  for (const recorded of allergies) {
    const allergy = allergyKey(recorded);
    if (allergy.length < 3) continue;
    if (terms.some((t) => t === allergy || (allergy.length >= 6 && t.includes(allergy)))) {
      conflicts.push({ allergy: recorded, drug_class: null, kind: "match" });
      continue;
    }
    const named = classesNamedByAllergy(allergy);
    const shared = drugClasses.find((c) => named.includes(c));
    if (shared) {
      conflicts.push({ allergy: recorded, drug_class: shared.name, kind: "match" });
      continue;
    }
    const related = drugClasses.find((c) => named.some((n) => CROSS_REACTIVE[n.name]?.includes(c.name)));
    if (related) conflicts.push({ allergy: recorded, drug_class: related.name, kind: "cross_reactivity" });
  }
  return conflicts;
}
