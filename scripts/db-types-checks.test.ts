import { describe, expect, it } from "vitest";
import { allowedValues } from "./db-types-checks";

describe("allowedValues (db:types reads CHECK constraints as unions)", () => {
  it("reads col = ANY (ARRAY[...])", () => {
    expect(allowedValues("status", "CHECK ((status = ANY (ARRAY['active'::text, 'completed'::text])))")).toEqual(["active", "completed"]);
  });

  it("reads a text array's col <@ ARRAY[...] beside other conditions on it", () => {
    const def = "CHECK ((((cardinality(parts) >= 1) AND (cardinality(parts) <= 4)) AND (parts <@ ARRAY['visits'::text, 'vitals'::text])))";
    expect(allowedValues("parts", def)).toEqual(["visits", "vitals"]);
  });

  it("unescapes quotes and keeps values with signs", () => {
    expect(allowedValues("blood_type", "CHECK ((blood_type = ANY (ARRAY['A+'::text, 'O''x'::text])))")).toEqual(["A+", "O'x"]);
  });

  it("declines anything else: OR, patterns, lengths, another column's list", () => {
    expect(allowedValues("status", "CHECK (((status = 'cancelled'::text) OR (cancel_reason IS NULL)))")).toBeNull();
    expect(allowedValues("hash", "CHECK ((hash ~ '^[0-9a-f]{64}$'::text))")).toBeNull();
    expect(allowedValues("reason", "CHECK ((length(reason) <= 1000))")).toBeNull();
    expect(allowedValues("kind", "CHECK ((other = ANY (ARRAY['a'::text])))")).toBeNull();
    expect(allowedValues("n", "CHECK ((n = ANY (ARRAY[1, 2])))")).toBeNull();
  });
});
