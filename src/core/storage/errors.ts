import { AppError } from "../errors";

/** The link is not one we issued, or was altered. */
export class SignedUrlInvalidError extends AppError {
  constructor() {
    super(403, "signed_url_invalid", "This download link is not valid.");
  }
}

export class SignedUrlExpiredError extends AppError {
  constructor() {
    super(403, "signed_url_expired", "This download link has expired. Ask for a new one.");
  }
}

/** The stored bytes are missing or fail their integrity check: we answer an error, never corrupt bytes. */
export class DocumentUnreadableError extends AppError {
  constructor() {
    super(500, "document_unreadable", "The document's stored file could not be read intact. The incident has been logged.");
  }
}
