"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { Field, FormError } from "@/components/app/form";
import { api } from "@/components/app/api-client";

const DEFAULT_SCOPES = "openid fhirUser offline_access launch/patient patient/*.rs";

/** Register an app: name, redirect URIs (one a line), public or confidential, allowed scopes. */
export function RegisterAppForm() {
  const router = useRouter();
  const [name, setName] = React.useState("");
  const [uris, setUris] = React.useState("");
  const [scopes, setScopes] = React.useState(DEFAULT_SCOPES);
  const [confidential, setConfidential] = React.useState(false);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string>();
  const [fieldErrors, setFieldErrors] = React.useState<Record<string, string>>({});
  const [created, setCreated] = React.useState<{ client_id: string; client_secret?: string }>();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setFieldErrors({});
    const r = await api<{ client_id: string; client_secret?: string }>("/api/v1/admin/apps", {
      method: "POST",
      body: { name, redirect_uris: uris.split(/\s+/).filter(Boolean), confidential, scopes: scopes.split(/\s+/).filter(Boolean) },
    });
    setBusy(false);
    if (!r.ok) {
      const errs: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.error.fields ?? {})) errs[k.split(".")[0]] ??= v;
      setFieldErrors(errs);
      setError(r.error.message);
      return;
    }
    setCreated(r.data);
    setName("");
    setUris("");
    toast.success("The app was registered.");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-4">
      <FormError message={error} />
      {created && (
        <div role="status" className="bg-accent text-accent-foreground grid gap-1 rounded-md px-3 py-2 text-sm">
          <span>Client id: <code className="break-all">{created.client_id}</code></span>
          {created.client_secret && (
            <span>Client secret (shown only now; give it to the app&apos;s developer): <code className="break-all">{created.client_secret}</code></span>
          )}
        </div>
      )}
      <Field id="app-name" label="Name" required error={fieldErrors.name}>
        <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
      </Field>
      <Field id="app-uris" label="Redirect URIs" required hint="One a line; https (http only for localhost)." error={fieldErrors.redirect_uris}>
        <Textarea value={uris} onChange={(e) => setUris(e.target.value)} rows={2} />
      </Field>
      <Field id="app-scopes" label="Allowed scopes" required hint="Separated by spaces, e.g. patient/*.rs user/Observation.rs openid fhirUser offline_access launch/patient." error={fieldErrors.scopes}>
        <Textarea value={scopes} onChange={(e) => setScopes(e.target.value)} rows={2} className="font-mono text-xs" />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={confidential} onChange={(e) => setConfidential(e.target.checked)} className="accent-primary size-4" />
        Confidential (the app runs on a server and can keep a secret)
      </label>
      <div>
        <Button type="submit" disabled={busy}>Register</Button>
      </div>
    </form>
  );
}

/** Disable (every connection ends at once) or enable an app. */
export function AppToggle({ clientId, name, disabled }: { clientId: string; name: string; disabled: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = React.useState(false);
  async function toggle() {
    setBusy(true);
    const r = await api(`/api/v1/admin/apps/${encodeURIComponent(clientId)}`, { method: "PATCH", body: { disabled: !disabled } });
    setBusy(false);
    if (r.ok) {
      toast.success(disabled ? `${name} was enabled.` : `${name} was disabled; its connections ended.`);
      router.refresh();
    } else toast.error(r.error.message);
  }
  return (
    <Button variant={disabled ? "outline" : "destructive"} size="sm" disabled={busy} onClick={() => void toggle()} aria-label={`${disabled ? "Enable" : "Disable"} ${name}`}>
      {disabled ? "Enable" : "Disable"}
    </Button>
  );
}
