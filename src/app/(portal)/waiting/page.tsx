import { redirect } from "next/navigation";
import { HourglassIcon } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { pageViewer } from "../_lib/viewer";

export const metadata = { title: "Waiting for verification" };

export default async function WaitingPage() {
  const { viewer } = await pageViewer(["provider"], { allowUnverified: true });
  if (viewer.verified) redirect("/patients");
  return (
    <Card className="mx-auto max-w-xl">
      <CardHeader>
        <HourglassIcon aria-hidden className="text-primary mb-2 size-8" />
        <CardTitle className="text-xl">
          <h1>Waiting for verification</h1>
        </CardTitle>
        <CardDescription>Your provider account was created.</CardDescription>
      </CardHeader>
      <CardContent className="text-muted-foreground space-y-3 text-sm">
        <p>
          An administrator of your clinic must check your license number before you can see patient records. You will not see any patient
          data until then.
        </p>
        <p>Ask your clinic&apos;s administrator to verify your account, then reload this page.</p>
      </CardContent>
    </Card>
  );
}
