import { describe, expect, it } from "vitest";
import { describeAccess, describeActor, describePageView, groupPageViews } from "./access-log-describe";

const entry = (activity: string, record_kind: string | null, role = "provider", name = "Dr Grace Hopper") => ({ actor: { name, role }, activity, record_kind });

describe("the access report's words", () => {
  it("says what was done to which kind of record, for the patient and for staff", () => {
    expect(describeAccess(entry("viewed", "patient_chart"), "patient")).toBe("Viewed your chart");
    expect(describeAccess(entry("viewed", "patient_chart"), "staff")).toBe("Viewed the chart");
    expect(describeAccess(entry("created", "visits"), "patient")).toBe("Added a visit to your record");
    expect(describeAccess(entry("changed", "prescriptions"), "staff")).toBe("Updated a prescription");
    expect(describeAccess(entry("deleted", "documents"), "patient")).toBe("Removed one of your documents");
  });

  it("words care-team and invitation changes as plain sentences", () => {
    expect(describeAccess(entry("created", "care_team"), "patient")).toBe("Added someone to your care team");
    expect(describeAccess(entry("created", "care_team"), "staff")).toBe("Added someone to the care team");
    expect(describeAccess(entry("deleted", "care_team"), "patient")).toBe("Removed someone from your care team");
    expect(describeAccess(entry("changed", "invites", "system", "Carebase system"), "patient")).toBe("Marked your portal invitation as used");
    expect(describeActor(entry("changed", "invites", "system", "Carebase system"), "patient")).toEqual({ name: "Carebase", role: "Done automatically by Carebase" });
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
    expect(describeActor(entry("changed", "patients", "system", "Carebase system"), "patient")).toEqual({ name: "Carebase", role: "Done automatically by Carebase" });
    expect(describeActor(entry("viewed", "visits", "admin", "Ada Admin"), "patient")).toEqual({ name: "Ada Admin", role: "Administrator" });
  });

  it("groups one page view (a chart opening loads several lists) into one entry", () => {
    const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 9, 0, s)).toISOString();
    const read = (id: string, kind: string, s: number, name = "Dr Grace Hopper") => ({ id, occurred_at: at(s), ...entry("viewed", kind, "provider", name) });
    // newest first, as the API answers: one chart view of 7 reads, then another person, then an older view
    const entries = [
      read("a1", "access_log", 40), read("a2", "messages", 40), read("a3", "appointments", 39), read("a4", "documents", 39),
      read("a5", "prescriptions", 39), read("a6", "visits", 38), read("a7", "patient_chart", 38),
      read("b1", "visits", 30, "Nurse Ratched"),
      { id: "c1", occurred_at: new Date(Date.UTC(2026, 11, 6, 8, 0, 0)).toISOString(), ...entry("created", "visits") },
    ];
    const groups = groupPageViews(entries);
    expect(groups.map((g) => g.entries.map((e) => e.id))).toEqual([["a1", "a2", "a3", "a4", "a5", "a6", "a7"], ["b1"], ["c1"]]);
    expect(groups.map((g) => describePageView(g.entries, "patient"))).toEqual(["Viewed your chart", "Viewed your visit records", "Added a visit to your record"]);
    expect(groups[0].occurred_at).toBe(at(40));
  });

  it("names each thing once when a page view has no chart opening, and keeps writes apart", () => {
    const e = (activity: string, kind: string) => ({ ...entry(activity, kind) });
    expect(describePageView([e("viewed", "visits"), e("viewed", "prescriptions"), e("viewed", "visits")], "patient")).toBe("Viewed your visit records and your prescriptions");
    expect(describePageView([e("created", "visits"), e("viewed", "patient_chart"), e("viewed", "visits")], "staff")).toBe("Added a visit; viewed the chart");
  });

  it("says when a read came through the FHIR API", () => {
    expect(describePageView([{ ...entry("viewed", "patient_chart"), via: "fhir" }], "patient")).toBe("Viewed your chart (through the FHIR API)");
    expect(describePageView([{ ...entry("viewed", "vitals"), via: null }], "patient")).toBe("Viewed your vital signs");
  });
});
