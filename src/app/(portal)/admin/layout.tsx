import { pageViewer } from "../_lib/viewer";

/**
 * Decides "admins only" for every /admin page before anything streams: no Suspense boundary
 * sits above this layout, so `notFound()` here sets HTTP 404 and nothing of an admin page (not
 * even its skeleton, which `loading.tsx` puts inside this layout) reaches anyone else. The
 * pages still ask for the admin role themselves, and RLS is the gate for the data.
 */
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  await pageViewer(["admin"]);
  return children;
}
