"use client";

import * as React from "react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Field, FormError } from "@/components/app/form";
import { LocalTime } from "@/components/app/local-time";
import { api } from "@/components/app/api-client";
import { useJsonForm } from "@/components/app/use-json-form";
import { SHARE_PARTS, ZCreateShareRequest, type TSharePart } from "@/core/sharing/sharing.types";

const PART_LABELS: Record<TSharePart, string> = { visits: "Visits", prescriptions: "Prescriptions", documents: "Documents (list)", vitals: "Vitals" };
const STATE: Record<string, { label: string; variant: "success" | "secondary" | "outline" | "destructive" }> = {
  active: { label: "Active", variant: "success" },
  expired: { label: "Expired", variant: "outline" },
  revoked: { label: "Revoked", variant: "secondary" },
  locked: { label: "Locked (wrong codes)", variant: "destructive" },
};

interface Share {
  id: string;
  recipient_label: string;
  parts: TSharePart[];
  created_at: string;
  expires_at: string;
  state: string;
  view_count: number;
  views: { at: string }[];
}

interface Created {
  id: string;
  url: string;
  code: string;
  recipient_label: string;
  expires_at: string;
}

/**
 * "Share my record": the patient picks parts, an expiry (at most 30 days) and who it is for;
 * gets a link and, separately, a 6-digit code (both shown once); sees every share's views
 * and revokes one at once.
 */
export function SharingPanel() {
  const [shares, setShares] = React.useState<Share[] | null>(null);
  const [created, setCreated] = React.useState<Created | null>(null);
  const [parts, setParts] = React.useState<TSharePart[]>(["visits", "prescriptions"]);
  const f = useJsonForm({ recipient_label: "", expires_in_days: "7" });

  const load = React.useCallback(async () => {
    const r = await api<{ data: Share[] }>("/api/v1/me/shares");
    if (r.ok) setShares(r.data.data);
  }, []);
  React.useEffect(() => {
    void load();
  }, [load]);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const body = { parts, recipient_label: f.values.recipient_label, expires_in_days: Number(f.values.expires_in_days) };
    const r = await f.submit<typeof ZCreateShareRequest, Created>(ZCreateShareRequest, body, "/api/v1/me/shares");
    if (r?.ok) {
      setCreated(r.data);
      f.setValues({ recipient_label: "", expires_in_days: "7" });
      void load();
    }
  }

  async function revoke(id: string) {
    const r = await api(`/api/v1/me/shares/${id}`, { method: "DELETE" });
    if (!r.ok) toast.error(r.error.message);
    else toast.success("The link no longer works.");
    void load();
  }

  return (
    <div className="grid gap-6">
      <Card>
        <CardHeader>
          <CardTitle><h2>Share your record</h2></CardTitle>
          <CardDescription>
            Give a clinician outside the clinic a read-only view of chosen parts of your record. They need the link and, separately, the 6-digit code. Every view is listed here; you can revoke a link at any time.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <FormError message={f.formError} />
            <fieldset className="grid gap-2" aria-describedby={f.errors.parts ? "share-parts-error" : undefined}>
              <legend className="text-sm font-medium">What to share</legend>
              <div className="flex flex-wrap gap-4">
                {SHARE_PARTS.map((p) => (
                  <div key={p} className="flex items-center gap-2">
                    <input
                      type="checkbox"
                      id={`share-part-${p}`}
                      className="size-4"
                      checked={parts.includes(p)}
                      onChange={(e) => setParts((cur) => (e.target.checked ? [...cur, p] : cur.filter((x) => x !== p)))}
                    />
                    <Label htmlFor={`share-part-${p}`}>{PART_LABELS[p]}</Label>
                  </div>
                ))}
              </div>
              {f.errors.parts && <p id="share-parts-error" className="text-destructive text-xs font-medium">{f.errors.parts}</p>}
            </fieldset>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field id="share-recipient" label="Who it is for" hint="For example: Dr. Rivera, cardiology" error={f.errors.recipient_label} required>
                <Input {...f.bind("recipient_label")} />
              </Field>
              <Field id="share-days" label="Works for (days, 1 to 30)" error={f.errors.expires_in_days} required>
                <Input type="number" min={1} max={30} inputMode="numeric" {...f.bind("expires_in_days")} />
              </Field>
            </div>
            <Button type="submit" disabled={f.busy} className="justify-self-start">
              {f.busy ? "Creating…" : "Create link"}
            </Button>
          </form>
          {created && (
            <div role="status" data-testid="share-created" className="bg-accent mt-4 grid gap-2 rounded-md p-3 text-sm">
              <p className="font-medium">Link for {created.recipient_label} (shown only now):</p>
              <Input readOnly aria-label="Sharing link" value={created.url} data-testid="share-url" onFocus={(e) => e.currentTarget.select()} />
              <p>
                Code, to give separately: <span data-testid="share-code" className="font-mono text-base font-semibold tracking-widest">{created.code}</span>
              </p>
            </div>
          )}
        </CardContent>
      </Card>
      <section aria-labelledby="shares-heading" className="grid gap-3">
        <h2 id="shares-heading" className="text-lg font-semibold">Your links</h2>
        {shares === null ? (
          <p className="text-muted-foreground text-sm">Loading…</p>
        ) : shares.length === 0 ? (
          <p className="text-muted-foreground text-sm">You have not shared your record.</p>
        ) : (
          <ul className="grid gap-3">
            {shares.map((s) => (
              <li key={s.id} data-testid="share-row" className="bg-card flex flex-wrap items-start justify-between gap-3 rounded-lg border p-3 text-sm">
                <div className="grid min-w-0 gap-1">
                  <p className="font-medium break-words">
                    {s.recipient_label} <Badge variant={STATE[s.state]?.variant ?? "outline"}>{STATE[s.state]?.label ?? s.state}</Badge>
                  </p>
                  <p className="text-muted-foreground">
                    {s.parts.map((p) => PART_LABELS[p]).join(", ")}; until <LocalTime value={s.expires_at} />
                  </p>
                  <p data-testid="share-views">
                    {s.view_count === 0 ? "Not viewed yet." : <>Viewed {s.view_count} {s.view_count === 1 ? "time" : "times"}, last <LocalTime value={s.views[0]?.at ?? s.created_at} />.</>}
                  </p>
                </div>
                {s.state === "active" && (
                  <Button variant="outline" size="sm" onClick={() => revoke(s.id)} aria-label={`Revoke the link for ${s.recipient_label}`}>
                    Revoke
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
