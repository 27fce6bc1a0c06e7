import { loadChartPatient } from "./chart-patient";

/**
 * Decides whether the chart exists for the caller before anything streams: no Suspense
 * boundary sits above this layout, so `notFound()` here still sets HTTP 404 (a fallback
 * rendered first would have committed the response to 200). The skeleton (`loading.tsx`)
 * sits inside this layout and shows while the chart's lists load.
 */
export default async function ChartLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  await loadChartPatient((await params).id);
  return children;
}
