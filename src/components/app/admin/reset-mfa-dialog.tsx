"use client";

import { ShieldOffIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ZResetMfaRequest } from "@/core/auth/reset-mfa.types";
import { ReasonDialog } from "../reason-dialog";

/** An admin removes another account's two-step verification (lost phone), with a reason kept in the audit trail. */
export function ResetMfaDialog({ userId, name }: { userId: string; name: string }) {
  return (
    <ReasonDialog
      trigger={
        <Button size="sm" variant="outline" aria-label={`Reset two-step verification of ${name}`}>
          <ShieldOffIcon aria-hidden />
          Reset 2FA
        </Button>
      }
      title={`Reset ${name}'s two-step verification?`}
      description={
        <>
          Their authenticator and recovery codes stop working and every session they have is signed out. They sign in with their
          password alone and set up two-step verification again (providers must, if the clinic requires it). Check who is asking
          before you do this: your reason is recorded in the audit trail.
        </>
      }
      fieldId={`reset-mfa-reason-${userId}`}
      hint="For example: “Lost phone; identity checked in person”."
      maxLength={200}
      rows={2}
      schema={ZResetMfaRequest}
      path={`/api/v1/admin/users/${userId}/mfa/reset`}
      method="POST"
      confirmLabel="Reset two-step verification"
      busyLabel="Resetting…"
      successMessage={`${name}'s two-step verification is reset; they are signed out everywhere.`}
    />
  );
}
