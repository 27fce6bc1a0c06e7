import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { VerifyEmail } from "./verify-email";

export const metadata = { title: "Confirm your email address" };

export default function VerifyEmailPage() {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-xl">
          <h1>Confirm your email address</h1>
        </CardTitle>
        <CardDescription>So the clinic knows this address reaches you.</CardDescription>
      </CardHeader>
      <CardContent>
        <VerifyEmail />
      </CardContent>
    </Card>
  );
}
