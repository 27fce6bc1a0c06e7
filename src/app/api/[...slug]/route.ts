import { json } from "@/core/http/respond";

export const dynamic = "force-dynamic";

/** Unknown API paths answer in the API's error shape, not with an HTML page. */
function notFound(): Response {
  return json({ error: { code: "not_found", message: "No such API endpoint." } }, 404);
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
