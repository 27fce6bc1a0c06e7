import { Suspense } from "react";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { setupNeeded } from "@/core/auth/setup";
import { SetupForm } from "./setup-form";

export const metadata = { title: "Set up your clinic" };

export default function SetupPage() {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>Set up your clinic</h1>
        </CardTitle>
        <CardDescription>Create the first administrator. Administrators verify providers, manage accounts and assign care teams.</CardDescription>
      </CardHeader>
      <CardContent>
        <Suspense fallback={<Skeleton className="h-64 w-full" />}>
          <SetupGate />
        </Suspense>
      </CardContent>
    </Card>
  );
}

/** Once any admin exists this page is gone. */
async function SetupGate() {
  await connection();
  if (!(await setupNeeded())) redirect("/sign-in");
  return <SetupForm />;
}
