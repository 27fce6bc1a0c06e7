import { Suspense } from "react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { PageSkeleton } from "@/components/app/skeletons";
import { EmergencyAccessForm } from "@/components/app/emergency/emergency-access-form";
import { emergencyAccessMinutes } from "@/core/config";
import { pageViewer } from "../_lib/viewer";

export const metadata = { title: "Emergency access" };

export default function EmergencyAccessPage() {
  return (
    <Suspense fallback={<PageSkeleton />}>
      <EmergencyAccess />
    </Suspense>
  );
}

async function EmergencyAccess() {
  await pageViewer(["provider"]);
  return (
    <div className="mx-auto grid w-full max-w-xl gap-6">
      <Card>
        <CardHeader>
          <CardTitle>
            <h1 className="text-2xl font-semibold tracking-tight">Emergency access</h1>
          </CardTitle>
          <CardDescription>Open the chart of a patient outside your care teams when it is needed now (&ldquo;break the glass&rdquo;).</CardDescription>
        </CardHeader>
        <CardContent>
          <EmergencyAccessForm minutes={emergencyAccessMinutes()} />
        </CardContent>
      </Card>
    </div>
  );
}
