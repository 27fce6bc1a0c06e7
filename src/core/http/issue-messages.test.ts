import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ZCreatePatientRequest } from "@/core/clinical/patients.types";
import { BadRequestError, ValidationError } from "../errors";
import { fieldLabel, issueFields, sentence } from "./issue-messages";
import { parseId, validate, zUuid } from "./parse";

function fieldsFor(schema: z.ZodType, input: unknown): Record<string, string> {
  const r = schema.safeParse(input);
  if (r.success) throw new Error("expected a refusal");
  return issueFields(r.error);
}

const DEVELOPER_WORDING = /Too big|Too small|Invalid option|Invalid input|expected one of|<=|>=|UUID|received|"\|"|\.\./;

describe("zod issues become sentences a receptionist understands", () => {
  const schema = z.object({
    last_name: z.string().max(200),
    first_name: z.string().min(1, "is required"),
    gender: z.enum(["female", "male", "other", "unknown"]),
    visit_id: zUuid,
    email: z.email(),
    date_of_birth: z.iso.date(),
    heart_rate: z.number().int().min(20).max(250),
    allergies: z.array(z.string().max(5)).max(2),
    emergency_contact: z.object({ phone: z.string().min(3) }),
    reason: z.string().min(3, "Say why (at least 3 characters)."),
  });
  const fields = fieldsFor(schema, {
    last_name: "x".repeat(201),
    first_name: "",
    gender: "f",
    visit_id: "not-an-id",
    email: "nobody",
    date_of_birth: "1980-13-40",
    heart_rate: 300,
    allergies: ["penicillin"],
    emergency_contact: { phone: "1" },
    reason: "x",
  });

  it("names the field and says what is wrong, in one sentence each", () => {
    expect(fields).toEqual({
      last_name: "Last name can be at most 200 characters.",
      first_name: "First name is required.",
      gender: "Gender must be one of: female, male, other or unknown.",
      visit_id: "Visit is not a valid reference: choose it again from the list.",
      email: "Email must be an email address, like name@example.com.",
      date_of_birth: "Date of birth must be a date like 2026-04-02.",
      heart_rate: "Heart rate must be at most 250.",
      "allergies.0": "Allergies (entry 1) can be at most 5 characters.",
      "emergency_contact.phone": "Emergency contact phone must be at least 3 characters.",
      reason: "Say why (at least 3 characters).",
    });
    for (const message of Object.values(fields)) expect(message).not.toMatch(DEVELOPER_WORDING);
  });

  it("counts entries of a list", () => {
    expect(fieldsFor(z.object({ allergies: z.array(z.string()).max(2) }), { allergies: ["a", "b", "c"] })).toEqual({ allergies: "Allergies can have at most 2 entries." });
  });

  it("says a missing field is required, and a wrong type in words", () => {
    expect(fieldsFor(z.object({ mrn: z.string(), spo2: z.number(), active: z.boolean() }), { spo2: "98", active: "yes" })).toEqual({
      mrn: "MRN is required.",
      spo2: "SpO₂ must be a number.",
      active: "Active must be yes or no (true or false).",
    });
  });

  it("names unknown fields without developer words", () => {
    expect(fieldsFor(z.strictObject({ a: z.string() }), { a: "x", colour: "red" })).toEqual({ _: "The field “colour” is not expected here." });
  });

  it("never doubles a full stop", () => {
    expect(sentence("Say why.")).toBe("Say why.");
    expect(sentence("is required.. ")).toBe("Is required.");
    expect(sentence("Are you sure?")).toBe("Are you sure?");
    expect(fieldLabel(["provider_ids"])).toBe("Providers");
    expect(fieldLabel(["dateOfBirth"])).toBe("Date of birth");
  });
});

describe("the API answer keeps its shape and codes", () => {
  it("a value out of range is 422 validation_failed with sentences in message and fields", () => {
    const error = (() => {
      try {
        validate(ZCreatePatientRequest, { first_name: "Ada", last_name: "x".repeat(500), date_of_birth: "1980-04-02", gender: "femme" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.status).toBe(422);
    expect(v.code).toBe("validation_failed");
    expect(v.fields?.gender).toMatch(/^Gender must be one of: female, male/);
    expect(v.fields?.last_name).toMatch(/^Last name (can|must) be at most \d+ characters\.$/);
    expect(v.message).toMatch(/^Some values in the request body need correcting\. /);
    expect(v.message).not.toMatch(DEVELOPER_WORDING);
  });

  it("a wrong type is still 400 invalid_request", () => {
    try {
      validate(z.object({ age: z.number() }), { age: "ten" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BadRequestError);
      expect((e as BadRequestError).code).toBe("invalid_request");
      expect((e as BadRequestError).fields).toEqual({ age: "Age must be a number." });
    }
  });

  it("a non-UUID id in the path is still 400 invalid_id", () => {
    expect(() => parseId("42", "patient id")).toThrow(BadRequestError);
  });
});
