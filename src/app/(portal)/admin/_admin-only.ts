import type { Metadata } from "next";
import { pageViewer } from "../_lib/viewer";

/**
 * Admin pages check the role themselves, before they render anything, as well as in the
 * admin layout: Next renders a page alongside its layouts, so a page that returned its
 * header while the layout said 404 still sent that header in the response's payload (a
 * patient's /admin/audit carried "Audit trail"). pageViewer is cached per request.
 */
export async function adminOnly(): Promise<void> {
  await pageViewer(["admin"]);
}

/** The page's title, resolved only for admins (others get the not-found page's). */
export function adminMetadata(title: string): () => Promise<Metadata> {
  return async () => {
    await adminOnly();
    return { title };
  };
}
