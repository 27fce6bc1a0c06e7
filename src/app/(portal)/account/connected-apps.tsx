"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { BlocksIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { api } from "@/components/app/api-client";
import { formatDateTime } from "@/components/app/format";
import { useTimeZone } from "@/components/app/time-zone";
import type { ConnectedApp } from "@/core/smart/list-my-apps";

/** Outside apps (SMART on FHIR) the user connected: what each may read, last use, and Disconnect. */
export function ConnectedApps({ apps }: { apps: ConnectedApp[] }) {
  const router = useRouter();
  const [busy, setBusy] = React.useState<string | null>(null);
  const timeZone = useTimeZone();

  async function disconnect(app: ConnectedApp) {
    setBusy(app.client_id);
    const r = await api(`/api/v1/me/apps/${encodeURIComponent(app.client_id)}`, { method: "DELETE" });
    setBusy(null);
    if (r.ok) {
      toast.success(`${app.name} was disconnected. It can no longer read your record.`);
      router.refresh();
    } else toast.error(r.error.message);
  }

  if (apps.length === 0) return <p className="text-muted-foreground text-sm">No apps are connected to your account.</p>;
  return (
    <ul className="divide-y rounded-md border">
      {apps.map((a) => (
        <li key={a.client_id} className="flex flex-wrap items-start gap-3 px-4 py-3">
          <BlocksIcon aria-hidden className="text-muted-foreground mt-0.5 size-5" />
          <div className="min-w-0 flex-1">
            <p className="text-sm font-medium">{a.name}</p>
            <ul className="text-muted-foreground mt-1 list-disc pl-4 text-xs">
              {a.scopes.map((s) => (
                <li key={s.scope}>{s.description}</li>
              ))}
            </ul>
            <p className="text-muted-foreground mt-1 text-xs">
              Connected {formatDateTime(a.connected_at, timeZone)} · {a.last_used_at ? `last used ${formatDateTime(a.last_used_at, timeZone)}` : "not used yet"}
            </p>
          </div>
          <Button variant="outline" size="sm" disabled={busy !== null} onClick={() => void disconnect(a)} aria-label={`Disconnect ${a.name}`}>
            Disconnect
          </Button>
        </li>
      ))}
    </ul>
  );
}
