import { Suspense } from "react";
import { connection } from "next/server";
import { redirect } from "next/navigation";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { AppError } from "@/core/errors";
import { getConsentRequest, type ConsentRequest } from "@/core/smart/connect-app";
import { currentSession } from "../../../_lib/session";
import { ConsentForm } from "./consent-form";

export const metadata = { title: "Connect an app" };

export default function ConsentPage({ params }: { params: Promise<{ uid: string }> }) {
  return (
    <Suspense fallback={<Skeleton className="h-72 w-full" aria-label="Loading" />}>
      <Consent params={params} />
    </Suspense>
  );
}

/**
 * An outside app asks to read the user's record: who the app is, what it asks for in plain
 * words (the user may untick any), and the choice. Signs the user in first (with their two
 * factors where their account has them); the OAuth server under /oauth does the rest.
 */
async function Consent({ params }: { params: Promise<{ uid: string }> }) {
  await connection();
  const { uid } = await params;
  const session = await currentSession();
  if (!session) redirect(`/sign-in?next=${encodeURIComponent(`/oauth/consent/${uid}`)}`);
  if (session.mfaPending) redirect("/account?mfa=required");
  let request: ConsentRequest;
  try {
    request = await getConsentRequest(session, uid);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) return <Expired />;
    throw e;
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>Connect {request.appName}?</h1>
        </CardTitle>
        <CardDescription>
          {request.appName} asks to read part of your Carebase record. It will see only what you allow here, and only what you
          may see yourself. You can disconnect it at any time from your account page.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <ConsentForm uid={uid} appName={request.appName} scopes={request.scopes} />
      </CardContent>
    </Card>
  );
}

function Expired() {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>This request has expired</h1>
        </CardTitle>
        <CardDescription>Go back to the app and connect it again.</CardDescription>
      </CardHeader>
    </Card>
  );
}
