"use server";

import { requireSession } from "@/app/_lib/session";
import { listUsers, ZListUsersQuery, type UserListItem } from "@/core/auth/admin-users";
import { validate } from "@/core/http/parse";
import { pageContext } from "../../_lib/page-context";

/**
 * The accounts list's search, sort and paging: a POST (server action) so that names and
 * addresses typed into the search travel in the body, never in a URL, a browser history
 * entry or an access log. Same core call and RLS as GET /api/v1/admin/users.
 */
export async function searchUsers(input: unknown): Promise<{ data: UserListItem[]; count: number }> {
  const session = await requireSession(["admin"]);
  return listUsers(session, validate(ZListUsersQuery, input, "search"), await pageContext());
}
