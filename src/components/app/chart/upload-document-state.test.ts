import { describe, expect, it } from "vitest";
import { initialUploadDialogState as init, uploadDialogReducer as reduce, type UploadDialogState } from "./upload-document-state";

const file = new File(["%PDF-1.7"], "labs.pdf", { type: "application/pdf" });
const run = (state: UploadDialogState, ...actions: Parameters<typeof reduce>[1][]) => actions.reduce(reduce, state);

describe("uploadDialogReducer", () => {
  it("a refused file clears the choice and explains itself on the file field; a good one clears that error and the form error", () => {
    const chosen = run(init, { type: "checking" }, { type: "checked", result: { ok: true, chosen: { file, type: "application/pdf" } } });
    expect(chosen.phase).toBe("idle");
    expect(chosen.chosen?.file).toBe(file);
    const refused = run(chosen, { type: "checking" }, { type: "checked", result: { ok: false, message: "Too big." } });
    expect(refused.phase).toBe("idle");
    expect(refused.chosen).toBeNull();
    expect(refused.errors.file).toBe("Too big.");
    const failed = run(refused, { type: "failed", errors: { file: "Too big." }, message: "Refused." });
    const again = run(failed, { type: "checked", result: { ok: true, chosen: { file, type: "application/pdf" } } });
    expect(again.errors.file).toBeUndefined();
    expect(again.formError).toBeUndefined();
  });

  it("typing in a field sets it and clears that field's error only", () => {
    const s = run(init, { type: "invalid", errors: { document_type: "Choose the document's type.", description: "Too long." } });
    expect(s.formError).toBe("Please correct the highlighted fields.");
    const typed = run(s, { type: "field", name: "document_type", value: "lab_result" });
    expect(typed.documentType).toBe("lab_result");
    expect(typed.errors).toEqual({ document_type: undefined, description: "Too long." });
    expect(run(typed, { type: "field", name: "description", value: "CBC" }).description).toBe("CBC");
  });

  it("an upload shows progress; a refusal keeps the form, a cancel keeps it without an error, a success closes and forgets it", () => {
    const filled = run(
      init,
      { type: "open", open: true },
      { type: "checked", result: { ok: true, chosen: { file, type: "application/pdf" } } },
      { type: "field", name: "document_type", value: "lab_result" },
      { type: "field", name: "description", value: "CBC" },
      { type: "invalid", errors: { description: "x" } },
    );
    const uploading = run(filled, { type: "upload_started", total: 8 }, { type: "progress", progress: { loaded: 4, total: 8 } });
    expect(uploading).toMatchObject({ phase: "uploading", errors: {}, formError: undefined, progress: { loaded: 4, total: 8 } });

    const refused = run(uploading, { type: "failed", errors: { file: "Not a PDF." }, message: "The file was refused." });
    expect(refused).toMatchObject({ phase: "idle", open: true, documentType: "lab_result", description: "CBC", errors: { file: "Not a PDF." }, formError: "The file was refused." });
    expect(refused.chosen?.file).toBe(file);

    const cancelled = run(uploading, { type: "aborted" });
    expect(cancelled).toMatchObject({ phase: "idle", open: true, documentType: "lab_result", formError: undefined });

    const done = run(uploading, { type: "dragging", dragging: true }, { type: "uploaded" });
    expect(done).toEqual({ ...init, dragging: true });
  });

  it("opening and closing touch nothing else", () => {
    const s = run(init, { type: "field", name: "description", value: "CBC" }, { type: "open", open: true }, { type: "open", open: false });
    expect(s).toEqual({ ...init, description: "CBC", errors: { description: undefined } });
  });
});
