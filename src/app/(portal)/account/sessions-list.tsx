"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { LogOutIcon, MonitorIcon } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { api } from "@/components/app/api-client";
import { formatDateTime } from "@/components/app/format";
import { useTimeZone } from "@/components/app/time-zone";

export interface SessionItem {
  id: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string | null;
  ip: string | null;
  aal: string;
  current: boolean;
}

function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome" : /Firefox\//.test(ua) ? "Firefox" : /Safari\//.test(ua) ? "Safari" : ua.split(" ")[0];
  const os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

export function SessionsList({ sessions }: { sessions: SessionItem[] }) {
  const router = useRouter();
  const [busy, setBusy] = React.useState<string | null>(null);
  const timeZone = useTimeZone();

  async function revoke(id: string) {
    setBusy(id);
    const r = await api(`/api/v1/auth/sessions/${id}`, { method: "DELETE" });
    setBusy(null);
    if (r.ok) {
      toast.success("That session was signed out.");
      router.refresh();
    } else toast.error(r.error.message);
  }

  async function everywhere() {
    setBusy("all");
    const r = await api("/api/v1/auth/sessions", { method: "DELETE" });
    setBusy(null);
    if (r.ok) window.location.assign("/sign-in");
    else toast.error(r.error.message);
  }

  return (
    <div className="grid gap-4">
      <ul className="divide-y rounded-md border">
        {sessions.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
            <MonitorIcon aria-hidden className="text-muted-foreground size-5" />
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
                {describeAgent(s.user_agent)}
                {s.current && <Badge variant="success">This device</Badge>}
                {s.aal === "aal2" && <Badge variant="outline">2FA</Badge>}
              </p>
              <p className="text-muted-foreground text-xs">
                Signed in {formatDateTime(s.created_at, timeZone)} · last active {formatDateTime(s.last_seen_at, timeZone)}
                {s.ip ? ` · ${s.ip}` : ""}
              </p>
            </div>
            {!s.current && (
              <Button variant="outline" size="sm" disabled={busy !== null} onClick={() => void revoke(s.id)}>
                Sign out
              </Button>
            )}
          </li>
        ))}
      </ul>
      <div>
        <Button variant="destructive" disabled={busy !== null} onClick={() => void everywhere()}>
          <LogOutIcon aria-hidden />
          Sign out everywhere
        </Button>
      </div>
    </div>
  );
}
