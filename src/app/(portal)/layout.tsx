import { Suspense } from "react";
import { AppShell } from "@/components/app/app-shell";
import { ShellSkeleton } from "@/components/app/skeletons";
import { pageViewer } from "./_lib/viewer";

/** Every signed-in page: the shell renders once the session is known (dynamic, in Suspense). */
export default function PortalLayout({ children }: { children: React.ReactNode }) {
  return (
    <Suspense fallback={<ShellSkeleton />}>
      <Frame>{children}</Frame>
    </Suspense>
  );
}

async function Frame({ children }: { children: React.ReactNode }) {
  const { viewer } = await pageViewer(undefined, { allowUnverified: true });
  return <AppShell viewer={viewer}>{children}</AppShell>;
}
