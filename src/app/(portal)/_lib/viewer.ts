import { cache } from "react";
import { notFound, redirect } from "next/navigation";
import { requireSession } from "@/app/_lib/session";
import type { Session } from "@/core/auth/session-types";
import { AppError } from "@/core/errors";
import { getViewer, type Viewer } from "@/core/portal/get-viewer";
import { pageContext } from "./page-context";

export interface PageViewer {
  session: Session;
  viewer: Viewer;
  context: Awaited<ReturnType<typeof pageContext>>;
}

/**
 * The signed-in user for a page, or a redirect to sign-in. `roles` limits the page; other
 * roles get the not-found page (a page they may not use does not exist for them).
 * Unverified providers are sent to the waiting page. Redirects are UX: RLS is the gate.
 */
/** Session, request context and viewer once per request: the layout and the page share them. */
const loadViewer = cache(async (): Promise<PageViewer> => {
  // pending sessions pass here; pageViewer below sends them to /account unless the page allows them
  const session = await requireSession(undefined, { allowMfaPending: true });
  const context = await pageContext();
  let viewer: Viewer;
  try {
    viewer = await getViewer(session, context);
  } catch (e) {
    if (e instanceof AppError && e.status === 401) redirect("/sign-in");
    throw e;
  }
  return { session, viewer, context };
});

export async function pageViewer(
  roles?: Session["role"][],
  opts: { allowUnverified?: boolean; allowMfaPending?: boolean } = {},
): Promise<PageViewer> {
  const pv = await loadViewer();
  const { viewer } = pv;
  if (viewer.mfaPending && !opts.allowMfaPending) redirect("/account?mfa=required");
  if (roles && !roles.includes(viewer.role)) notFound();
  if (viewer.role === "provider" && !viewer.verified && !opts.allowUnverified) redirect("/waiting");
  return pv;
}
