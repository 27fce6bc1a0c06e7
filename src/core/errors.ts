/**
 * The one error hierarchy of the core. Route handlers map these to the API's error
 * shape in one place (src/core/http/respond.ts). Messages are shown to users: they must
 * never carry PHI, passwords or tokens.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message = "The request is malformed.", code = "bad_request", fields?: Record<string, string>) {
    super(400, code, message, {}, fields);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "Sign in to continue.", code = "unauthorized") {
    super(401, code, message, { "WWW-Authenticate": "Bearer" });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "You are not allowed to do this.", code = "forbidden") {
    super(403, code, message);
  }
}

/** Not found, or not visible to the caller: the two must be indistinguishable. */
export class NotFoundError extends AppError {
  constructor(what = "resource") {
    super(404, "not_found", `The ${what} was not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = "conflict", fields?: Record<string, string>) {
    super(409, code, message, {}, fields);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = "The request body is too large.") {
    super(413, "payload_too_large", message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message = "This media type is not supported.") {
    super(415, "unsupported_media_type", message);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fields?: Record<string, string>, code = "validation_failed") {
    super(422, code, message, {}, fields);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = "Too many attempts. Try again later.") {
    super(429, "rate_limited", message, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
