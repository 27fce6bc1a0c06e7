import type { Bundle } from "../types";
import type { ImportResult } from "./import-bundle";

/** The `transaction-response` Bundle: one entry per request entry, in order, each 201 with its location and, when something was not stored, an outcome saying what. */
export function transactionResponse(result: ImportResult): Bundle {
  return {
    resourceType: "Bundle",
    type: "transaction-response",
    entry: result.entries.map((e) => ({
      response: {
        status: e.status,
        location: e.location,
        ...(e.issues.length ? { outcome: { resourceType: "OperationOutcome", issue: e.issues } } : {}),
      },
    })),
  };
}
