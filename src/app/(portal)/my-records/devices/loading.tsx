import { DevicesSkeleton } from "@/components/app/devices/devices-skeleton";

export default function Loading() {
  return <DevicesSkeleton />;
}
