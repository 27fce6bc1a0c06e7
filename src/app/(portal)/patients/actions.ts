"use server";

import { requireSession } from "@/app/_lib/session";
import { listPatients, type PatientListItem } from "@/core/clinical/patients";
import { ZListPatientsQuery } from "@/core/clinical/patients.types";
import { validate } from "@/core/http/parse";
import { pageContext } from "../_lib/page-context";

/**
 * The dashboard's search: a POST (server action) so that names and MRNs travel in the
 * body, never in a URL, a browser history entry or an access log. Same core call, same
 * RLS, same audit record as GET /api/v1/patients.
 */
export async function searchPatients(input: unknown): Promise<{ data: PatientListItem[]; count: number }> {
  const session = await requireSession(["provider", "admin"]);
  const query = validate(ZListPatientsQuery, input, "search");
  return listPatients(session, query, await pageContext(), { unreadMessages: true });
}
