import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, actionLabel, auditSearch, exclusiveToInclusive, exportHref, filtersFromParams, inclusiveToExclusive, tableLabel, tableOptions } from "./audit-query";

describe("the audit page's query string", () => {
  it("keeps only the filters that are set, and one keyset position", () => {
    expect(auditSearch({})).toBe("");
    expect(auditSearch({ action: "read", patient: " 0b6d6a8e-4d7e-4b4e-9f53-1f1f1f1f1f1f ", table: "" })).toBe(
      "?patient=0b6d6a8e-4d7e-4b4e-9f53-1f1f1f1f1f1f&action=read",
    );
    expect(auditSearch({ action: "read" }, { cursor: "abc" })).toBe("?action=read&cursor=abc");
    expect(auditSearch({ action: "read" }, { before: "xyz" })).toBe("?action=read&before=xyz");
    expect(auditSearch({}, { cursor: "abc", before: "xyz" })).toBe("?cursor=abc");
  });

  it("reads the filters from search params, ignoring paging and unknown keys", () => {
    expect(filtersFromParams({ action: ["insert", "read"], cursor: "abc", q: "Smith", from: "2026-11-01", to: "" })).toEqual({ action: "read", from: "2026-11-01" });
  });

  it("links the CSV export with the same filters and no paging", () => {
    expect(exportHref({ action: "read", from: "2026-11-01", limit: "25" })).toBe("/api/v1/admin/audit/export?action=read&from=2026-11-01");
    expect(exportHref({})).toBe("/api/v1/admin/audit/export");
  });

  it("turns the inclusive 'to' day of the form into the API's exclusive one and back", () => {
    expect(inclusiveToExclusive("2026-11-23")).toBe("2026-11-24");
    expect(inclusiveToExclusive("2026-12-31")).toBe("2027-01-01");
    expect(inclusiveToExclusive("2028-02-28")).toBe("2028-02-29");
    expect(inclusiveToExclusive("not a date")).toBe("not a date");
    expect(exclusiveToInclusive("2027-01-01")).toBe("2026-12-31");
    expect(exclusiveToInclusive("2026-11-23T10:00:00Z")).toBe("");
    expect(exclusiveToInclusive(undefined)).toBe("");
  });

  it("offers each action once", () => {
    const values = AUDIT_ACTIONS.map((a) => a.value);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toEqual(expect.arrayContaining(["read", "auth.sign_in", "auth.invite_created", "care_team.changed"]));
  });

  it("offers each table name once", () => {
    const names = tableOptions();
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["patient_chart", "visits", "audit_trail", "care_messages"]));
  });

  it("offers each action label once (older spellings of an event are not offered again)", () => {
    const labels = AUDIT_ACTIONS.map((a) => a.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.filter((l) => l === "Account locked")).toHaveLength(1);
    expect(labels.filter((l) => l === "Invite created")).toHaveLength(1);
    expect(labels.filter((l) => /[._]|\([a-z_.]+\)$/.test(l))).toEqual([]);
  });

  it("reads actions and tables as words, for the filter and the table alike", () => {
    expect(actionLabel("read")).toBe("Viewed");
    expect(actionLabel("auth.locked")).toBe("Account locked");
    expect(actionLabel("auth.brand_new_event")).toBe("Brand new event");
    expect(tableLabel("prescriptions")).toBe("Prescription");
    expect(tableLabel("visits")).toBe("Visit");
    expect(tableLabel("patient_chart")).toBe("Chart");
    expect(tableLabel("auth.users")).toBe("Account");
    expect(tableLabel("lab_orders")).toBe("Lab orders");
    for (const t of tableOptions()) expect(tableLabel(t)).not.toMatch(/_/);
  });
});
