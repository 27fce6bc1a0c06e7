import type { FieldErrors } from "../form";
import type { DocumentContentType } from "./document-files";
import type { UploadProgress } from "./document-requests";

export type Phase = "idle" | "checking" | "uploading";
export interface Chosen {
  file: File;
  type: DocumentContentType;
}

/** Everything the Upload Document dialog shows, in one place. */
export interface UploadDialogState {
  open: boolean;
  chosen: Chosen | null;
  documentType: string;
  description: string;
  errors: FieldErrors;
  formError: string | undefined;
  phase: Phase;
  progress: UploadProgress;
  dragging: boolean;
}

export type UploadDialogAction =
  | { type: "open"; open: boolean }
  | { type: "dragging"; dragging: boolean }
  | { type: "checking" }
  /** The file check ended: a refusal clears the choice and explains it on the file field. */
  | { type: "checked"; result: { ok: true; chosen: Chosen } | { ok: false; message: string } }
  | { type: "field"; name: "document_type" | "description"; value: string }
  | { type: "invalid"; errors: FieldErrors }
  | { type: "upload_started"; total: number }
  | { type: "progress"; progress: UploadProgress }
  /** Uploaded: the dialog closes and forgets the form. */
  | { type: "uploaded" }
  | { type: "aborted" }
  /** Refused by the server: everything the user chose stays, with the server's reasons. */
  | { type: "failed"; errors: FieldErrors; message: string };

export const initialUploadDialogState: UploadDialogState = {
  open: false,
  chosen: null,
  documentType: "",
  description: "",
  errors: {},
  formError: undefined,
  phase: "idle",
  progress: { loaded: 0, total: 0 },
  dragging: false,
};

export function uploadDialogReducer(state: UploadDialogState, action: UploadDialogAction): UploadDialogState {
  switch (action.type) {
    case "open":
      return { ...state, open: action.open };
    case "dragging":
      return { ...state, dragging: action.dragging };
    case "checking":
      return { ...state, phase: "checking" };
    case "checked":
      return action.result.ok
        ? { ...state, phase: "idle", chosen: action.result.chosen, errors: { ...state.errors, file: undefined }, formError: undefined }
        : { ...state, phase: "idle", chosen: null, errors: { ...state.errors, file: action.result.message } };
    case "field":
      return {
        ...state,
        ...(action.name === "document_type" ? { documentType: action.value } : { description: action.value }),
        errors: { ...state.errors, [action.name]: undefined },
      };
    case "invalid":
      return { ...state, errors: action.errors, formError: "Please correct the highlighted fields." };
    case "upload_started":
      return { ...state, errors: {}, formError: undefined, progress: { loaded: 0, total: action.total }, phase: "uploading" };
    case "progress":
      return { ...state, progress: action.progress };
    case "uploaded":
      return { ...initialUploadDialogState, dragging: state.dragging };
    case "aborted":
      return { ...state, phase: "idle", formError: undefined };
    case "failed":
      return { ...state, phase: "idle", errors: action.errors, formError: action.message };
  }
}
