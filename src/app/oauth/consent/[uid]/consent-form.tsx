"use client";

import * as React from "react";
import { Button } from "@/components/ui/button";

interface Props {
  uid: string;
  appName: string;
  scopes: { scope: string; words: string; available: boolean }[];
}

/** The scopes as checkboxes (all ticked), then Connect or Don't connect; the browser then goes back to the app. */
export function ConsentForm({ uid, appName, scopes }: Props) {
  const offered = scopes.filter((s) => s.available);
  const [chosen, setChosen] = React.useState<Set<string>>(() => new Set(offered.map((s) => s.scope)));
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string>();

  async function answer(action: "confirm" | "abort") {
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch(`/oauth/interaction/${encodeURIComponent(uid)}/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ scopes: action === "confirm" ? [...chosen] : [] }),
      });
      const body = (await res.json().catch(() => null)) as { redirect_to?: string; error?: { message?: string } } | null;
      if (res.ok && body?.redirect_to) {
        window.location.assign(body.redirect_to);
        return;
      }
      setError(body?.error?.message ?? "Something went wrong. Go back to the app and try again.");
    } catch {
      setError("The connection to Carebase failed. Check your network and try again.");
    }
    setBusy(false);
  }

  const toggle = (scope: string, on: boolean) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });

  return (
    <form
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        void answer("confirm");
      }}
    >
      <fieldset className="grid gap-3">
        <legend className="mb-2 text-sm font-medium">{appName} may:</legend>
        {offered.map((s) => (
          <label key={s.scope} className="flex items-start gap-3 text-sm">
            <input
              type="checkbox"
              name="scope"
              value={s.scope}
              checked={chosen.has(s.scope)}
              onChange={(e) => toggle(s.scope, e.target.checked)}
              className="accent-primary mt-0.5 size-4 shrink-0"
            />
            <span>
              {s.words}
              <span className="text-muted-foreground block font-mono text-xs break-all">{s.scope}</span>
            </span>
          </label>
        ))}
        {offered.length === 0 && <p className="text-sm">This app asks for nothing your account can give.</p>}
      </fieldset>
      {scopes.some((s) => !s.available) && (
        <p className="text-muted-foreground text-xs">
          Some of what the app asks for needs a patient record of your own, so it is not offered:{" "}
          {scopes.filter((s) => !s.available).map((s) => s.words).join("; ")}.
        </p>
      )}
      {error && (
        <p role="alert" className="text-destructive text-sm">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={busy || chosen.size === 0}>
          Connect
        </Button>
        <Button type="button" variant="outline" disabled={busy} onClick={() => void answer("abort")}>
          Don&apos;t connect
        </Button>
      </div>
    </form>
  );
}
