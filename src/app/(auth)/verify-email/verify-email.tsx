"use client";

import * as React from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { api } from "@/components/app/api-client";

type State = "reading" | "no-token" | "ready" | "busy" | "done" | "dead" | "error";

/**
 * Confirms the address with the token from the link's fragment (never sent to a server or
 * its logs). The token is removed from the address bar at once; the confirmation is a
 * button press, so a mail scanner that follows links confirms nothing.
 */
export function VerifyEmail() {
  const [token, setToken] = React.useState<string | null>(null);
  const [state, setState] = React.useState<State>("reading");
  const [message, setMessage] = React.useState("");

  React.useEffect(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (t) window.history.replaceState(null, "", window.location.pathname);
    setToken(t);
    setState(t ? "ready" : "no-token");
  }, []);

  async function confirm() {
    setState("busy");
    const r = await api<{ email_confirmed: true }>("/api/v1/auth/email/verify", { method: "POST", body: { token } });
    if (r.ok) return setState("done");
    setMessage(r.error.message);
    setState(r.error.code === "invalid_link" ? "dead" : "error");
  }

  if (state === "reading") return <p className="text-muted-foreground text-sm">Reading your link…</p>;
  if (state === "no-token") {
    return <p role="alert" className="text-sm">This page needs the link from your confirmation mail, opened in full.</p>;
  }
  if (state === "done") {
    return (
      <div className="grid gap-4">
        <p role="status" data-testid="email-confirmed" className="bg-accent text-accent-foreground rounded-md px-3 py-2 text-sm">
          Your email address is confirmed. Thank you.
        </p>
        <Button asChild>
          <Link href="/sign-in">Sign in</Link>
        </Button>
      </div>
    );
  }
  return (
    <div className="grid gap-4">
      {(state === "dead" || state === "error") && (
        <p role="alert" className="text-destructive text-sm">
          {message}
        </p>
      )}
      <Button onClick={() => void confirm()} disabled={state === "busy" || state === "dead"}>
        {state === "busy" ? "Confirming…" : "Confirm my address"}
      </Button>
    </div>
  );
}
