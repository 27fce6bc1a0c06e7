"use server";

import { z } from "zod";
import { requireSession } from "@/app/_lib/session";
import { listUsers } from "@/core/auth/admin-users";
import { listPatients } from "@/core/clinical/patients";
import { validate } from "@/core/http/parse";
import { isoDate } from "@/components/app/format";
import type { AuditSubjectOption } from "@/components/app/admin/audit-subject-picker";
import { pageContext } from "../../_lib/page-context";

/**
 * The audit filters' typeaheads: names travel in a POST body (a server action), never in
 * a URL; only the chosen id goes into the page's query string. Same core calls, same RLS
 * and audit records as GET /api/v1/admin/users and GET /api/v1/patients.
 */
const ZSearch = z.strictObject({ search: z.string().trim().min(2, "type at least 2 characters").max(100) });
const LIMIT = 8;

export async function findAuditActors(input: unknown): Promise<AuditSubjectOption[]> {
  const session = await requireSession(["admin"]);
  const { search } = validate(ZSearch, input, "search");
  const { data } = await listUsers(session, { search, status: "all", limit: LIMIT, offset: 0 }, await pageContext());
  return data.map((u) => ({ id: u.id, label: u.full_name, detail: `${u.role} · ${u.email}` }));
}

export async function findAuditPatients(input: unknown): Promise<AuditSubjectOption[]> {
  const session = await requireSession(["admin"]);
  const { search } = validate(ZSearch, input, "search");
  const { data } = await listPatients(session, { search, limit: LIMIT, offset: 0, sort: "name" }, await pageContext());
  return data.map((p) => ({ id: p.id, label: `${p.last_name}, ${p.first_name}`, detail: `MRN ${p.mrn} · born ${isoDate(p.date_of_birth)}` }));
}
