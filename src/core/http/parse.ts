import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors";
import { issueFields } from "./issue-messages";

const MAX_JSON_BYTES = 256 * 1024;

/**
 * Issues about the shape of the input (wrong type, unknown key) are "malformed" (400);
 * issues about acceptable values (too short, bad format, not one of) are "invalid" (422).
 */
const STRUCTURAL = new Set(["invalid_type", "unrecognized_keys", "invalid_union"]);

export function validate<S extends z.ZodType>(schema: S, input: unknown, what = "request body"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = issueFields(result.error);
  if (result.error.issues.some((i) => STRUCTURAL.has(i.code))) {
    throw new BadRequestError(`The ${what} is not in the expected form. ${describe(fields)}`, "invalid_request", fields);
  }
  throw new ValidationError(`Some values in the ${what} need correcting. ${describe(fields)}`, fields);
}

/** The first few fields' sentences, for the top-level message (each already one sentence). */
function describe(fields: Record<string, string>): string {
  return Object.values(fields).slice(0, 5).join(" ");
}

/**
 * Reads the body as UTF-8 text, counting bytes as they arrive: past `maxBytes` the stream
 * is cancelled and the answer is 413, so a chunked body without a Content-Length costs at
 * most the cap (req.text() would hold all of it first). Every JSON body goes through here;
 * do not call req.text(), req.json(), req.arrayBuffer() or req.formData() on a request.
 */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw new PayloadTooLargeError();
  if (!req.body) return "";
  const reader = req.body.getReader();
  // stream: true keeps a character split across two chunks whole.
  const decoder = new TextDecoder("utf-8");
  let received = 0;
  let text = "";
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new BadRequestError("The request body was interrupted before it was complete.", "body_interrupted");
    }
    if (chunk.done) break;
    received += chunk.value.byteLength;
    if (received > maxBytes) {
      // Stop reading now, without waiting for the sender: the body is refused either way,
      // so a cancel that fails or hangs changes nothing.
      reader.cancel("body too large").catch(() => undefined);
      throw new PayloadTooLargeError();
    }
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text + decoder.decode();
}

/** Reads a JSON body (size-capped while it streams) and validates it. */
export async function parseJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError("Send the body as application/json.");
  }
  const text = await readBodyText(req, MAX_JSON_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("The request body is not valid JSON.", "malformed_json");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("The request body must be a JSON object.", "malformed_json");
  }
  return validate(schema, body);
}

/** An empty body is allowed (e.g. optional parameters); otherwise as parseJson. */
export async function parseOptionalJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  if ((req.headers.get("content-length") ?? "0") === "0" && !req.headers.get("content-type")) return validate(schema, {});
  return parseJson(req, schema);
}

export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const params = new URL(req.url).searchParams;
  const obj: Record<string, string> = {};
  for (const [k, v] of params) obj[k] = v;
  return validate(schema, obj, "query string");
}

export const zUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "is not a valid reference: choose it again from the list");

/** A path id: anything but a UUID is a malformed request (400), never a database error. */
export function parseId(value: string | undefined, what = "id"): string {
  const r = zUuid.safeParse(value);
  if (!r.success) throw new BadRequestError(`The ${what} in the path is not a valid UUID.`, "invalid_id");
  return r.data.toLowerCase();
}
