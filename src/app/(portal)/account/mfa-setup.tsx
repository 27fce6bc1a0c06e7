"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { CheckCircle2Icon, CopyIcon, ShieldCheckIcon } from "lucide-react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field, FormError } from "@/components/app/form";
import { api } from "@/components/app/api-client";

interface Enrollment {
  secret: string;
  otpauth_url: string;
  qr_svg?: string;
  recovery_codes: string[];
}

/**
 * TOTP enrolment: the QR code is rendered on our server (never a third-party service);
 * the recovery codes are shown once, here, and never again.
 */
export function MfaSetup({ enabled }: { enabled: boolean }) {
  const router = useRouter();
  const [enrollment, setEnrollment] = React.useState<Enrollment | null>(null);
  const [code, setCode] = React.useState("");
  const [error, setError] = React.useState<string | undefined>();
  const [busy, setBusy] = React.useState(false);
  const [done, setDone] = React.useState(false);

  if (enabled && !enrollment) {
    return (
      <p className="flex items-center gap-2 text-sm">
        <ShieldCheckIcon aria-hidden className="text-success size-5" />
        Two-factor authentication is on for this account.
      </p>
    );
  }

  async function start() {
    setBusy(true);
    const r = await api<Enrollment>("/api/v1/auth/mfa/enroll", { method: "POST", body: {} });
    setBusy(false);
    if (r.ok) setEnrollment(r.data);
    else toast.error(r.error.message);
  }

  async function verify(e: React.FormEvent) {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) {
      setError("Enter the 6-digit code from your authenticator app.");
      return;
    }
    setBusy(true);
    const r = await api("/api/v1/auth/mfa/verify", { method: "POST", body: { code: code.trim() } });
    setBusy(false);
    if (r.ok) {
      setDone(true);
      toast.success("Two-factor authentication is on.");
      router.refresh();
    } else setError(r.error.message);
  }

  if (!enrollment) {
    return (
      <div className="grid gap-3">
        <p className="text-muted-foreground text-sm">
          Protect your account with a 6-digit code from an authenticator app (Google Authenticator, 1Password, Aegis…) at each sign-in.
        </p>
        <div>
          <Button onClick={() => void start()} disabled={busy}>
            <ShieldCheckIcon aria-hidden />
            Turn on two-factor authentication
          </Button>
        </div>
      </div>
    );
  }

  return (
    <div className="grid gap-6">
      <ol className="grid gap-6 md:grid-cols-2">
        <li className="grid gap-2">
          <p className="font-medium">1. Scan this code with your authenticator app</p>
          {enrollment.qr_svg ? (
            // The SVG comes from our own server (qrcode, rendered locally); an <img> cannot run script.
            <img
              src={`data:image/svg+xml;utf8,${encodeURIComponent(enrollment.qr_svg)}`}
              alt="QR code for your authenticator app"
              width={192}
              height={192}
              className="rounded-md border bg-white p-2"
            />
          ) : null}
          <p className="text-muted-foreground text-sm">Or type this key:</p>
          <code data-testid="mfa-secret" className="bg-muted rounded px-2 py-1 font-mono text-sm break-all">
            {enrollment.secret}
          </code>
        </li>
        <li className="grid content-start gap-2">
          <p className="font-medium">2. Save your recovery codes</p>
          <p className="text-muted-foreground text-sm">
            Each code signs you in once if you lose your phone. They are shown only now: store them somewhere safe.
          </p>
          <ul data-testid="recovery-codes" className="bg-muted grid grid-cols-2 gap-1 rounded-md p-3 font-mono text-sm">
            {enrollment.recovery_codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
          <div>
            <Button
              variant="outline"
              size="sm"
              onClick={() => {
                navigator.clipboard.writeText(enrollment.recovery_codes.join("\n")).then(
                  () => toast.success("Recovery codes copied."),
                  () => toast.error("Could not copy; select and copy them by hand."),
                );
              }}
            >
              <CopyIcon aria-hidden />
              Copy codes
            </Button>
          </div>
        </li>
      </ol>
      {done ? (
        <p role="status" className="flex items-center gap-2 text-sm font-medium">
          <CheckCircle2Icon aria-hidden className="text-success size-5" />
          Two-factor authentication is on. Keep your recovery codes safe.
        </p>
      ) : (
        <form method="post" onSubmit={verify} noValidate className="grid max-w-sm gap-3">
          <p className="font-medium">3. Enter the code your app shows</p>
          <FormError message={error} />
          <Field id="mfa-code" label="6-digit code" required>
            <Input inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => { setCode(e.target.value); setError(undefined); }} />
          </Field>
          <div>
            <Button type="submit" disabled={busy}>
              {busy ? "Checking…" : "Verify and turn on"}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
