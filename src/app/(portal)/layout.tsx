import { AppShell } from "@/components/app/app-shell";
import { pageViewer } from "./_lib/viewer";

/**
 * Every signed-in page: the shell renders once the session is known. No Suspense boundary
 * here or in a `loading.tsx` of this group: a fallback rendered above a page would start the
 * response as 200 before the page could answer 404 (the chart decides "not yours" in
 * `patients/[id]/layout.tsx`). Each section has its own `loading.tsx` below this layout.
 */
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const { viewer } = await pageViewer(undefined, { allowUnverified: true, allowMfaPending: true });
  return <AppShell viewer={viewer}>{children}</AppShell>;
}
