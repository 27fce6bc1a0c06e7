import { json } from "@/core/http/respond";
import { parseJson } from "@/core/http/parse";
import { deviceRoute } from "@/core/http/route";
import { ingestVitals } from "@/core/vitals/ingest-vitals";
import { ZIngestVitalsRequest } from "@/core/vitals/ingest-vitals.types";

export const dynamic = "force-dynamic";

/** Wearable ingestion, authenticated by a device token (checked by the database inside withDevice). */
export const POST = deviceRoute(async ({ req, deviceToken, context }) => json(await ingestVitals(deviceToken, await parseJson(req, ZIngestVitalsRequest), context), 202));
