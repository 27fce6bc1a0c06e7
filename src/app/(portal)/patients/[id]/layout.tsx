import { EmergencyBanner } from "@/components/app/chart/emergency-banner";
import { activeEmergencyGrant } from "@/core/emergency/emergency-access";
import { loadChartPatient } from "./chart-patient";

/**
 * Decides whether the chart exists for the caller before anything streams: no Suspense
 * boundary sits above this layout, so `notFound()` here still sets HTTP 404 (a fallback
 * rendered first would have committed the response to 200). The skeleton (`loading.tsx`)
 * sits inside this layout and shows while the chart's lists load. A chart read under
 * break-the-glass access carries its banner (reason, time left) above everything.
 */
export default async function ChartLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const chart = await loadChartPatient((await params).id);
  const grant = await activeEmergencyGrant(chart.session, chart.id, chart.context);
  return (
    <>
      {grant && <EmergencyBanner grantId={grant.id} reason={grant.reason} expiresAt={new Date(grant.expires_at).toISOString()} />}
      {children}
    </>
  );
}
