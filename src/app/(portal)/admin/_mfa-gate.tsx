import Link from "next/link";
import { ShieldAlertIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/app/empty-state";

/** Admin pages need an aal2 session (the API refuses otherwise); say so instead of failing. */
export function MfaRequired({ enabled }: { enabled: boolean }) {
  return (
    <EmptyState
      icon={ShieldAlertIcon}
      title={enabled ? "Sign in again with your authentication code" : "Turn on two-factor authentication first"}
      action={
        <Button asChild>
          <Link href={enabled ? "/sign-in" : "/account"}>{enabled ? "Sign in" : "Go to your account"}</Link>
        </Button>
      }
    >
      Administrator pages work only in a session signed in with two-factor authentication.
    </EmptyState>
  );
}
