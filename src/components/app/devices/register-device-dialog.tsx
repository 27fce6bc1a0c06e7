"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { CheckIcon, CopyIcon, PlusIcon, TriangleAlertIcon } from "lucide-react";
import { toast } from "sonner";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { ZRegisterDeviceRequest } from "@/core/vitals/devices.types";
import { METRICS } from "@/core/vitals/metrics";
import { Field, FormError } from "../form";
import { useJsonForm } from "../use-json-form";

interface Registered {
  device_id: string;
  token: string;
  name: string;
}

/**
 * Registers a wearable and shows its token once: the server keeps only a hash, so the
 * token lives in this dialog's state and nowhere else (closing it or reloading loses it).
 */
export function RegisterDeviceDialog() {
  const router = useRouter();
  const [open, setOpen] = React.useState(false);
  const [registered, setRegistered] = React.useState<Registered | null>(null);
  const [copied, setCopied] = React.useState(false);
  const f = useJsonForm({ name: "" });

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (!next) {
      // The token is forgotten with the dialog.
      setRegistered(null);
      setCopied(false);
      f.setValues({ name: "" });
      f.setErrors({});
      f.setFormError(undefined);
    }
  }

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const r = await f.submit<typeof ZRegisterDeviceRequest, { device_id: string; token: string }>(ZRegisterDeviceRequest, { name: f.values.name }, "/api/v1/devices");
    if (r?.ok) {
      setRegistered({ ...r.data, name: f.values.name.trim() });
      toast.success(`“${f.values.name.trim()}” is registered. Copy its token now.`);
      router.refresh();
    } else if (r && !r.ok) toast.error(r.error.message);
  }

  async function copy() {
    if (!registered) return;
    try {
      await navigator.clipboard.writeText(registered.token);
      setCopied(true);
      toast.success("Token copied.");
    } catch {
      toast.error("Could not copy; select the token and copy it by hand.");
    }
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button>
          <PlusIcon aria-hidden />
          Register a device
        </Button>
      </DialogTrigger>
      <DialogContent
        // A stray click outside must not throw the one-time token away.
        onInteractOutside={(e) => registered && e.preventDefault()}
      >
        {!registered ? (
          <>
            <DialogHeader>
              <DialogTitle>Register a device</DialogTitle>
              <DialogDescription>
                Give your watch or fitness tracker a name you will recognise. You get a token that lets it send your heart rate and steps to your record.
              </DialogDescription>
            </DialogHeader>
            <form method="post" onSubmit={onSubmit} noValidate className="grid gap-4">
              <FormError message={f.formError} />
              <Field id="rd-name" label="Device name" error={f.errors.name} hint="For example “Pixel Watch” or “Running watch”." required>
                <Input autoComplete="off" maxLength={100} {...f.bind("name")} />
              </Field>
              <DialogFooter>
                <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
                  Cancel
                </Button>
                <Button type="submit" disabled={f.busy}>
                  {f.busy ? "Registering…" : "Register"}
                </Button>
              </DialogFooter>
            </form>
          </>
        ) : (
          <>
            <DialogHeader>
              <DialogTitle>Your device token for “{registered.name}”</DialogTitle>
              <DialogDescription>Put this token into the device or app that sends your readings.</DialogDescription>
            </DialogHeader>
            <Alert variant="destructive">
              <TriangleAlertIcon aria-hidden />
              <AlertTitle>Copy it now: you won’t see this token again</AlertTitle>
              <AlertDescription>
                Carebase keeps only a fingerprint of it. If you lose it, revoke this device and register it again. Anyone with the token can add readings to
                your record, so keep it private.
              </AlertDescription>
            </Alert>
            <div className="grid gap-1.5">
              <p id="rd-token-label" className="text-sm font-medium">
                Token
              </p>
              <code
                aria-labelledby="rd-token-label"
                data-testid="device-token"
                className="bg-muted rounded-md px-3 py-2 font-mono text-sm break-all select-all"
              >
                {registered.token}
              </code>
            </div>
            <details className="text-sm">
              <summary className="cursor-pointer font-medium">How to use it</summary>
              <div className="text-muted-foreground mt-2 grid gap-2">
                <p>
                  <span className="text-foreground font-medium">Try it with the demo watch:</span> on the Carebase server, run
                </p>
                <pre className="bg-muted text-foreground rounded-md px-3 py-2 font-mono text-xs break-all whitespace-pre-wrap">
                  npm run simulate:wearable -- --token {registered.token}
                </pre>
                <p>
                  <span className="text-foreground font-medium">Or send readings over HTTP:</span> <code className="font-mono">POST /api/v1/vitals</code> with the
                  header <code className="font-mono">Authorization: Bearer &lt;token&gt;</code> and a body such as
                </p>
                <pre className="bg-muted text-foreground rounded-md px-3 py-2 font-mono text-xs break-all whitespace-pre-wrap">
                  {`{"samples":[{"metric":"heart_rate","value":72,"unit":"bpm","recorded_at":"${new Date().toISOString().slice(0, 19)}Z"}]}`}
                </pre>
                <p>
                  Up to 1,000 samples per request. Metrics and their units:{" "}
                  {Object.entries(METRICS)
                    .map(([metric, spec]) => `${metric} (${spec.unit})`)
                    .join(", ")}
                  .
                </p>
              </div>
            </details>
            <DialogFooter>
              <Button variant="outline" onClick={() => void copy()}>
                {copied ? <CheckIcon aria-hidden /> : <CopyIcon aria-hidden />}
                {copied ? "Copied" : "Copy token"}
              </Button>
              <Button onClick={() => onOpenChange(false)}>I have saved it</Button>
            </DialogFooter>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
