import Link from "next/link";
import { WatchIcon } from "lucide-react";
import { Button } from "@/components/ui/button";

/** The way from a patient's records to their wearables page. */
export function MyDevicesLink() {
  return (
    <Button asChild variant="outline" size="sm">
      <Link href="/my-records/devices" prefetch={false}>
        <WatchIcon aria-hidden />
        My devices
      </Link>
    </Button>
  );
}
