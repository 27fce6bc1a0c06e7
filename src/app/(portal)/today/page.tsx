import { Suspense } from "react";
import { TableSkeleton } from "@/components/app/skeletons";
import { TodayAppointments } from "@/components/app/today/today-appointments";
import { listMyAppointmentsForDay } from "@/core/clinical/appointments";
import { pageViewer } from "../_lib/viewer";

export const metadata = { title: "Today" };

/** The signed-in provider's appointments on today's clinic day (the clinic's time zone). */
export default function TodayPage() {
  return (
    <div className="grid gap-6">
      <Suspense fallback={<TableSkeleton rows={6} />}>
        <Today />
      </Suspense>
    </div>
  );
}

async function Today() {
  const { session, context } = await pageViewer(["provider"]);
  const day = await listMyAppointmentsForDay(session, context);
  return <TodayAppointments day={day} />;
}
