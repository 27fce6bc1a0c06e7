"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { BanIcon, WatchIcon } from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { DeviceView } from "@/core/vitals/devices.types";
import { api } from "../api-client";
import { EmptyState } from "../empty-state";
import { formatDateTime } from "../format";
import { useTimeZone } from "../time-zone";

/** A moment in the clinic's time zone, with its abbreviation (the same text on the server and in the browser). */
export function LocalDateTime({ value }: { value: string }) {
  const timeZone = useTimeZone();
  return <time dateTime={new Date(value).toISOString()}>{formatDateTime(value, timeZone)}</time>;
}

export function DeviceStatus({ device }: { device: Pick<DeviceView, "revoked_at" | "last_seen_at"> }) {
  if (device.revoked_at) return <Badge variant="muted">Revoked</Badge>;
  if (!device.last_seen_at) return <Badge variant="secondary">Waiting for first reading</Badge>;
  return <Badge variant="success">Active</Badge>;
}

/** The patient's devices, newest first, with revoke (after a confirmation) for live ones. */
export function DevicesList({ devices }: { devices: DeviceView[] }) {
  const router = useRouter();
  const [confirming, setConfirming] = React.useState<DeviceView | null>(null);
  const [busy, setBusy] = React.useState(false);

  if (devices.length === 0) {
    return (
      <EmptyState icon={WatchIcon} title="No devices yet">
        Use “Register a device” to connect your smartwatch or fitness tracker: it sends your heart rate and steps to your record. Your care team sees them
        on your chart, and so do you under My records → Vitals.
      </EmptyState>
    );
  }

  async function revoke(device: DeviceView) {
    setBusy(true);
    const r = await api(`/api/v1/devices/${device.id}`, { method: "DELETE" });
    setBusy(false);
    if (r.ok) {
      toast.success(`“${device.name}” is revoked. Its token no longer works.`);
      setConfirming(null);
      router.refresh();
    } else toast.error(r.error.message);
  }

  return (
    <>
      <div className="bg-card rounded-lg border">
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Device</TableHead>
              <TableHead>Registered</TableHead>
              <TableHead>Last reading</TableHead>
              <TableHead>Status</TableHead>
              <TableHead>
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {devices.map((d) => (
              <TableRow key={d.id} data-testid="device-row">
                <TableCell className="font-medium">{d.name}</TableCell>
                <TableCell>
                  <LocalDateTime value={d.created_at} />
                </TableCell>
                <TableCell>{d.last_seen_at ? <LocalDateTime value={d.last_seen_at} /> : <span className="text-muted-foreground">Never</span>}</TableCell>
                <TableCell>
                  <DeviceStatus device={d} />
                  {d.revoked_at && (
                    <span className="text-muted-foreground ml-2 text-xs">
                      on <LocalDateTime value={d.revoked_at} />
                    </span>
                  )}
                </TableCell>
                <TableCell className="text-right">
                  {!d.revoked_at && (
                    <Button size="sm" variant="outline" onClick={() => setConfirming(d)} aria-label={`Revoke ${d.name}`}>
                      <BanIcon aria-hidden />
                      Revoke
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      <Dialog open={confirming !== null} onOpenChange={(o) => !o && !busy && setConfirming(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Revoke “{confirming?.name}”?</DialogTitle>
            <DialogDescription>
              Its token stops working at once: the device can no longer send readings. Readings it already sent stay in your record. To use the device again,
              register it again and enter the new token.
            </DialogDescription>
          </DialogHeader>
          <DialogFooter>
            <Button variant="outline" onClick={() => setConfirming(null)} disabled={busy}>
              Keep it
            </Button>
            <Button variant="destructive" onClick={() => confirming && void revoke(confirming)} disabled={busy}>
              {busy ? "Revoking…" : "Revoke device"}
            </Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </>
  );
}
