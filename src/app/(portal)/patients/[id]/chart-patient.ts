import { cache } from "react";
import { notFound } from "next/navigation";
import { getPatient, type PatientRow } from "@/core/clinical/patients";
import { AppError } from "@/core/errors";
import { zUuid } from "@/core/http/parse";
import { pageViewer, type PageViewer } from "../../_lib/viewer";

export interface ChartPatient extends PageViewer {
  id: string;
  patient: PatientRow;
}

/**
 * The chart's viewer and patient, or the not-found page. One audited read per request:
 * `patients/[id]/layout.tsx` awaits it before any streaming boundary (so an unknown and an
 * invisible patient both answer HTTP 404), and the page reads the same cached result.
 * Unknown, malformed and not-yours ids take the same path and render the same page.
 */
export const loadChartPatient = cache(async (raw: string): Promise<ChartPatient> => {
  if (!zUuid.safeParse(raw).success) notFound();
  const id = raw.toLowerCase();
  const pv = await pageViewer(["provider", "admin"]);
  try {
    return { ...pv, id, patient: await getPatient(pv.session, id, pv.context) };
  } catch (e) {
    if (e instanceof AppError && (e.status === 404 || e.status === 400)) notFound();
    throw e;
  }
});
