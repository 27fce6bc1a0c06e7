import { Suspense } from "react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { PageSkeleton } from "@/components/app/skeletons";
import { listActiveSessions } from "@/core/auth/list-active-sessions";
import { getMailNotices } from "@/core/auth/mail-notices";
import { pageViewer } from "../_lib/viewer";
import { ChangePasswordForm } from "./change-password-form";
import { MfaSetup } from "./mfa-setup";
import { SessionsList } from "./sessions-list";
import { MailNoticesSetting } from "./mail-notices-setting";
import { listMyApps } from "@/core/smart/list-my-apps";
import { ConnectedApps } from "./connected-apps";

export const metadata = { title: "Account" };

export default function AccountPage({ searchParams }: { searchParams: Promise<{ setup?: string; mfa?: string }> }) {
  return (
    <Suspense fallback={<PageSkeleton />}>
      <Account searchParams={searchParams} />
    </Suspense>
  );
}

async function Account({ searchParams }: { searchParams: Promise<{ setup?: string; mfa?: string }> }) {
  const { viewer, session, context } = await pageViewer(undefined, { allowUnverified: true, allowMfaPending: true });
  const sessions = await listActiveSessions(session, context);
  const notices = viewer.role === "patient" ? await getMailNotices(session, context) : null;
  const apps = viewer.mfaPending ? [] : await listMyApps(session, context);
  const sp = await searchParams;
  const mfaNeeded = !viewer.mfaEnabled && (viewer.role === "admin" || viewer.mfaPending || sp.mfa === "required");
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="text-muted-foreground text-sm">
          {viewer.fullName} · {viewer.email} · <Badge variant="secondary" className="align-middle capitalize">{viewer.role}</Badge>
        </p>
      </div>
      {mfaNeeded && (
        <Alert>
          <AlertTitle>Turn on two-factor authentication</AlertTitle>
          <AlertDescription>
            {viewer.role === "admin"
              ? "Administrators must use two-factor authentication before the admin pages work."
              : "Your clinic requires two-factor authentication for your account."}
            {sp.setup ? " Your clinic is set up: do this now." : ""}
          </AlertDescription>
        </Alert>
      )}
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Two-factor authentication</h2>
          </CardTitle>
        </CardHeader>
        <CardContent>
          <MfaSetup enabled={viewer.mfaEnabled} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Change password</h2>
          </CardTitle>
          <CardDescription>Changing your password signs out your other sessions.</CardDescription>
        </CardHeader>
        <CardContent>
          <ChangePasswordForm />
        </CardContent>
      </Card>
      {notices && (
        <Card>
          <CardHeader>
            <CardTitle>
              <h2>Notices by mail</h2>
            </CardTitle>
          </CardHeader>
          <CardContent>
            <MailNoticesSetting initial={notices.mail_notices} />
          </CardContent>
        </Card>
      )}
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Connected apps</h2>
          </CardTitle>
          <CardDescription>Outside apps you allowed to read your record. Disconnecting one stops it at once.</CardDescription>
        </CardHeader>
        <CardContent>
          <ConnectedApps apps={apps} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Active sessions</h2>
          </CardTitle>
          <CardDescription>Where your account is signed in now.</CardDescription>
        </CardHeader>
        <CardContent>
          <SessionsList sessions={sessions} />
        </CardContent>
      </Card>
    </div>
  );
}
