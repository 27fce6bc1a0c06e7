"use client";

import * as React from "react";
import { toast } from "sonner";
import { api } from "@/components/app/api-client";

/**
 * The patient's choice of notices by mail (appointments booked, changed, cancelled, the
 * reminder the day before, new documents). Security notices always go, whatever this says.
 * A native checkbox: keyboard and screen readers work as they do everywhere.
 */
export function MailNoticesSetting({ initial }: { initial: boolean }) {
  const [on, setOn] = React.useState(initial);
  const [busy, setBusy] = React.useState(false);

  async function change(next: boolean) {
    setBusy(true);
    setOn(next);
    const r = await api<{ mail_notices: boolean }>("/api/v1/me/notices", { method: "PUT", body: { mail_notices: next } });
    setBusy(false);
    if (!r.ok) {
      setOn(!next);
      toast.error(r.error.message);
      return;
    }
    toast.success(next ? "You will get notices by mail." : "You will no longer get notices by mail. Security notices still come.");
  }

  return (
    <div className="grid gap-2">
      <label htmlFor="mail-notices" className="flex items-start gap-3 text-sm">
        <input
          id="mail-notices"
          type="checkbox"
          className="accent-primary mt-0.5 size-4 shrink-0"
          checked={on}
          disabled={busy}
          aria-describedby="mail-notices-hint"
          onChange={(e) => void change(e.target.checked)}
        />
        <span>Tell me by mail when an appointment is booked, changed or cancelled, the day before an appointment, and when a new document is added.</span>
      </label>
      <p id="mail-notices-hint" className="text-muted-foreground text-sm">
        The mails say only that something changed; sign in to see what. Notices about your account&apos;s security (a password change, two-factor sign-in) always come.
      </p>
    </div>
  );
}
