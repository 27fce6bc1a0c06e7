import { ChartSkeleton } from "@/components/app/skeletons";

/** Shown at once when moving between charts, so the previous patient's data never lingers. */
export default function Loading() {
  return <ChartSkeleton />;
}
