import { Suspense } from "react";
import Link from "next/link";
import { ArrowLeftIcon } from "lucide-react";
import { DevicesList } from "@/components/app/devices/devices-list";
import { DevicesSkeleton } from "@/components/app/devices/devices-skeleton";
import { RegisterDeviceDialog } from "@/components/app/devices/register-device-dialog";
import { listDevices } from "@/core/vitals/list-devices";
import { pageViewer } from "../../_lib/viewer";

export const metadata = { title: "My devices" };

export default function DevicesPage() {
  return (
    <Suspense fallback={<DevicesSkeleton />}>
      <Devices />
    </Suspense>
  );
}

/** A patient's wearables: register one (its token is shown once), see when each last sent readings, revoke. */
async function Devices() {
  const { session, context } = await pageViewer(["patient"]);
  const devices = await listDevices(session, {}, context);
  return (
    <div className="grid gap-6">
      <Link href="/my-records" prefetch={false} className="text-muted-foreground hover:text-foreground flex w-fit items-center gap-1 text-sm">
        <ArrowLeftIcon aria-hidden className="size-4" />
        My records
      </Link>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">My devices</h1>
          <p className="text-muted-foreground max-w-2xl text-sm">
            Watches and fitness trackers that send your heart rate and steps to your record. Your care team sees these readings on your chart.
          </p>
        </div>
        {/* Always here, in the same place: the dialog holds the one-time token across the refresh that lists the new device. */}
        <RegisterDeviceDialog />
      </div>
      <DevicesList devices={devices} />
    </div>
  );
}
