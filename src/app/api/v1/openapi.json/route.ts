import { open } from "@/core/http/route";
import { json } from "@/core/http/respond";
import { openApiDocument } from "@/core/openapi/document";

export const dynamic = "force-dynamic";

/** The OpenAPI 3.1 document of this API (public: shapes only, no data; docs/api.md). */
export const GET = open(async () => json(openApiDocument(), 200, { "Cache-Control": "public, max-age=300" }));
