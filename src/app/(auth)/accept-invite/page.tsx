import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AcceptInviteForm } from "./accept-invite-form";

export const metadata = { title: "Accept your invitation" };

export default function AcceptInvitePage() {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>Choose your password</h1>
        </CardTitle>
        <CardDescription>An administrator of the clinic created your account. Choose a password to sign in with.</CardDescription>
      </CardHeader>
      <CardContent>
        <AcceptInviteForm />
      </CardContent>
    </Card>
  );
}
