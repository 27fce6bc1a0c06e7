"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { SirenIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { api } from "@/components/app/api-client";

/** "59 minutes", "1 minute", "less than a minute" */
export function timeLeft(expiresAt: string | Date, now: number): string {
  const ms = new Date(expiresAt).getTime() - now;
  if (ms <= 0) return "no time";
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${Math.floor(minutes / 60)} hours ${minutes % 60} minutes`;
}

/**
 * Shown on a chart read under break-the-glass access: the reason given and the time left,
 * and a way to end it now. The time left is announced politely once a minute; when it runs
 * out the page is refreshed (the database has already closed the chart).
 */
export function EmergencyBanner({ grantId, reason, expiresAt }: { grantId: string; reason: string; expiresAt: string }) {
  const router = useRouter();
  const [now, setNow] = React.useState<number | null>(null);
  const [busy, setBusy] = React.useState(false);

  React.useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= new Date(expiresAt).getTime()) router.refresh();
    }, 30_000);
    return () => clearInterval(t);
  }, [expiresAt, router]);

  async function end() {
    setBusy(true);
    const r = await api(`/api/v1/emergency-access/${grantId}`, { method: "DELETE" });
    setBusy(false);
    if (!r.ok) {
      toast.error(r.error.message);
      return;
    }
    toast.success("Emergency access ended.");
    router.push("/patients");
  }

  return (
    <section
      aria-labelledby="emergency-banner-title"
      data-testid="emergency-banner"
      className="border-destructive bg-destructive/5 mb-6 flex flex-wrap items-start justify-between gap-3 rounded-lg border-2 px-4 py-3"
    >
      <div className="flex min-w-0 items-start gap-3">
        <SirenIcon aria-hidden className="text-destructive mt-0.5 size-5 shrink-0" />
        <div className="min-w-0">
          <h2 id="emergency-banner-title" className="text-destructive font-semibold">
            Emergency access: read-only, every view is recorded and reviewed
          </h2>
          <p className="text-sm break-words">
            <span className="font-medium">Reason:</span> {reason}
          </p>
          <p className="text-sm" aria-live="polite">
            {now === null ? "Checking the time left…" : <>Time left: <span data-testid="emergency-time-left">{timeLeft(expiresAt, now)}</span></>}
          </p>
        </div>
      </div>
      <Button variant="outline" size="sm" onClick={end} disabled={busy}>
        {busy ? "Ending…" : "End emergency access"}
      </Button>
    </section>
  );
}
