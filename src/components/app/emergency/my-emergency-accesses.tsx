"use client";

import * as React from "react";
import { SirenIcon } from "lucide-react";
import { LocalTime } from "@/components/app/local-time";
import { api } from "@/components/app/api-client";
import { CREDENTIAL_LABELS, type TProviderCredential } from "@/core/auth/provider-credentials";

interface Access {
  id: string;
  provider_name: string;
  credential: string | null;
  reason: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
}

/** "Who accessed my record": emergency (break-the-glass) accesses, with who and why. Nothing when there were none. */
export function MyEmergencyAccesses() {
  const [items, setItems] = React.useState<Access[] | null>(null);
  React.useEffect(() => {
    void api<{ data: Access[] }>("/api/v1/me/emergency-access").then((r) => setItems(r.ok ? r.data.data : []));
  }, []);
  if (!items || items.length === 0) return null;
  return (
    <section aria-labelledby="emergency-accesses" data-testid="my-emergency-accesses" className="border-destructive/40 mb-4 grid gap-2 rounded-lg border p-3">
      <h3 id="emergency-accesses" className="flex items-center gap-2 font-semibold">
        <SirenIcon aria-hidden className="text-destructive size-4" /> Emergency access to your record
      </h3>
      <ul className="grid gap-2 text-sm">
        {items.map((a) => (
          <li key={a.id}>
            <span className="font-medium">{a.provider_name}</span>
            {a.credential ? ` (${CREDENTIAL_LABELS[a.credential as TProviderCredential] ?? a.credential})` : ""}, <LocalTime value={a.created_at} />: &ldquo;{a.reason}&rdquo;
          </li>
        ))}
      </ul>
    </section>
  );
}
