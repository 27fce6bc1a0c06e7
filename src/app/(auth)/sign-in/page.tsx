import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { SignInForm } from "./sign-in-form";

export const metadata = { title: "Sign in" };

const NOTICES: Record<string, string> = {
  idle: "You were signed out after a period of inactivity.",
  expired: "Your session has ended. Sign in again.",
};

/** Where to go after signing in: only the consent page of an app's authorization (issue #17). */
const RETURN_TO = /^\/oauth\/consent\/[A-Za-z0-9_-]{8,64}$/;

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ reason?: string; next?: string }> }) {
  const { reason, next } = await searchParams;
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>Sign in</h1>
        </CardTitle>
        <CardDescription>Use the email and password of your Carebase account.</CardDescription>
      </CardHeader>
      <CardContent>
        <SignInForm notice={reason ? NOTICES[reason] : undefined} returnTo={next && RETURN_TO.test(next) ? next : undefined} />
      </CardContent>
    </Card>
  );
}
