import { describe, expect, it } from "vitest";
import { describeAccess, describeActor } from "./access-log-describe";

const entry = (activity: string, record_kind: string | null, role = "provider", name = "Dr Grace Hopper") => ({ actor: { name, role }, activity, record_kind });

describe("the access report's words", () => {
  it("says what was done to which kind of record, for the patient and for staff", () => {
    expect(describeAccess(entry("viewed", "patient_chart"), "patient")).toBe("Viewed your chart");
    expect(describeAccess(entry("viewed", "patient_chart"), "staff")).toBe("Viewed the chart");
    expect(describeAccess(entry("created", "visits"), "patient")).toBe("Added your visit records");
    expect(describeAccess(entry("changed", "prescriptions"), "staff")).toBe("Changed prescriptions");
    expect(describeAccess(entry("deleted", "documents"), "patient")).toBe("Deleted your documents");
  });

  it("words account events and falls back to readable text for unknown ones", () => {
    expect(describeAccess(entry("invite.created", null), "patient")).toBe("Created a portal invitation for you");
    expect(describeAccess(entry("auth.invite_created", "auth.users"), "patient")).toBe("Created a portal invitation for you");
    expect(describeAccess(entry("auth.invite_redeemed", "auth.users"), "staff")).toBe("Accepted the portal invitation");
    expect(describeAccess(entry("auth.sign_up", "auth.users"), "patient")).toBe("Created your portal account");
    expect(describeAccess(entry("auth.sign_up_duplicate", null), "staff")).toBe("Tried to create the patient's portal account with an email that already has an account");
    expect(describeAccess(entry("auth.password_changed", "auth.users"), "patient")).toBe("Password changed");
    expect(describeAccess(entry("care_team.changed", null), "staff")).toBe("Changed the care team");
    expect(describeAccess(entry("auth.something_new", null), "patient")).toBe("Something new");
    expect(describeAccess(entry("viewed", "new_kind_of_record"), "patient")).toBe("Viewed new kind of record");
  });

  it("names people with their role, and the patient as You in their own report", () => {
    expect(describeActor(entry("viewed", "visits"), "patient")).toEqual({ name: "Dr Grace Hopper", role: "Provider" });
    expect(describeActor(entry("viewed", "visits", "patient", "Marisol Q"), "patient")).toEqual({ name: "You", role: "Patient" });
    expect(describeActor(entry("viewed", "visits", "patient", "Marisol Q"), "staff")).toEqual({ name: "Marisol Q", role: "Patient" });
    expect(describeActor(entry("created", "vitals", "device", "Wearable device"), "patient")).toEqual({ name: "Wearable device", role: "Wearable device" });
    expect(describeActor(entry("changed", "patients", "system", "Carebase system"), "patient")).toEqual({ name: "Carebase system", role: "Automatic" });
    expect(describeActor(entry("viewed", "visits", "admin", "Ada Admin"), "patient")).toEqual({ name: "Ada Admin", role: "Administrator" });
  });
});
