"use client";

import * as React from "react";
import { CopyIcon, MailPlusIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { api } from "../api-client";
import { formatDateTime } from "../format";
import { useTimeZone } from "../time-zone";

interface Invite {
  invite_code: string;
  expires_at: string;
  invite_url: string;
}

/** Creates a single-use portal invite; the code and link are shown once (only a hash is stored). */
export function InviteButton({ patientId }: { patientId: string }) {
  const [invite, setInvite] = React.useState<Invite | null>(null);
  const [busy, setBusy] = React.useState(false);
  const timeZone = useTimeZone();

  async function create() {
    setBusy(true);
    const r = await api<Invite>(`/api/v1/patients/${patientId}/invite`, { method: "POST", body: {} });
    setBusy(false);
    if (r.ok) setInvite(r.data);
    else toast.error(r.error.message);
  }
  const copy = (text: string, what: string) =>
    navigator.clipboard.writeText(text).then(
      () => toast.success(`${what} copied.`),
      () => toast.error("Could not copy; select it by hand."),
    );

  return (
    <>
      <Button variant="outline" size="sm" disabled={busy} onClick={() => void create()}>
        <MailPlusIcon aria-hidden />
        Invite to portal
      </Button>
      <Dialog open={invite !== null} onOpenChange={(o) => !o && setInvite(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Portal invitation</DialogTitle>
            <DialogDescription>
              Give the patient this code or link. It works once and expires {invite ? formatDateTime(invite.expires_at, timeZone) : ""}. It is
              shown only now.
            </DialogDescription>
          </DialogHeader>
          {invite && (
            <div className="grid gap-3">
              <div>
                <p className="text-muted-foreground mb-1 text-xs font-semibold uppercase">Code</p>
                <p data-testid="invite-code" className="bg-muted rounded-md px-3 py-2 text-center font-mono text-lg tracking-wider">
                  {invite.invite_code}
                </p>
              </div>
              <div>
                <p className="text-muted-foreground mb-1 text-xs font-semibold uppercase">Link</p>
                <p data-testid="invite-url" className="bg-muted rounded-md px-3 py-2 font-mono text-xs break-all">
                  {invite.invite_url}
                </p>
              </div>
            </div>
          )}
          <DialogFooter>
            <Button variant="outline" onClick={() => invite && void copy(invite.invite_code, "Code")}>
              <CopyIcon aria-hidden />
              Copy code
            </Button>
            <Button onClick={() => invite && void copy(invite.invite_url, "Link")}>
              <CopyIcon aria-hidden />
              Copy link
            </Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </>
  );
}
