"use client";

import * as React from "react";
import { LogOutIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { api } from "./api-client";

export async function signOut(reason?: "idle"): Promise<void> {
  // DELETE /api/v1/auth/session works even when the access cookie has expired (it uses the refresh cookie).
  const r = await api("/api/v1/auth/session", { method: "DELETE" });
  if (!r.ok && r.error.status !== 401) {
    toast.error(`Sign-out failed: ${r.error.message}`);
    return;
  }
  window.location.assign(reason ? `/sign-in?reason=${reason}` : "/sign-in");
}

export function SignOutButton({ className }: { className?: string }) {
  const [busy, setBusy] = React.useState(false);
  return (
    <Button
      variant="ghost"
      size="sm"
      className={className}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        await signOut();
        setBusy(false);
      }}
    >
      <LogOutIcon aria-hidden />
      Sign out
    </Button>
  );
}
