import { Suspense } from "react";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { currentSession } from "@/app/_lib/session";
import { setupNeeded } from "@/core/auth/setup";
import { ShellSkeleton } from "@/components/app/skeletons";

/** The start page only routes: first-run setup, sign-in, or the signed-in user's home. */
export default function Home() {
  return (
    <Suspense fallback={<ShellSkeleton />}>
      <Route />
    </Suspense>
  );
}

async function Route(): Promise<never> {
  await connection();
  if (await setupNeeded()) redirect("/setup");
  const session = await currentSession();
  if (!session) redirect("/sign-in");
  redirect(session.role === "patient" ? "/my-records" : "/patients");
}
