import { Suspense } from "react";
import { notFound } from "next/navigation";
import { PageSkeleton } from "@/components/app/skeletons";
import { CallRoom } from "@/components/app/telehealth/call-room";
import { AppError } from "@/core/errors";
import { getCall } from "@/core/telehealth/get-call";
import { listCareTeam } from "@/core/clinical/care-team";
import type { CallState } from "@/core/telehealth/call.types";
import { pageViewer } from "../../../_lib/viewer";

export const metadata = { title: "Video visit" };

/** A telehealth appointment's video visit (docs/telehealth.md): the database decides who may be here. */
export default function CallPage({ params }: { params: Promise<{ appointmentId: string }> }) {
  return (
    <Suspense fallback={<PageSkeleton />}>
      <Call params={params} />
    </Suspense>
  );
}

async function Call({ params }: { params: Promise<{ appointmentId: string }> }) {
  const { appointmentId } = await params;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(appointmentId)) notFound();
  const { session, context } = await pageViewer(["provider", "patient"]);
  let state: CallState;
  try {
    state = await getCall(session, appointmentId.toLowerCase(), context);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  }
  // the provider may bring a colleague from the patient's care team into the call
  const colleagues =
    state.role === "provider"
      ? (await listCareTeam(session, state.appointment.patient_id, context))
          .filter((m) => m.provider_id !== session.userId)
          .map((m) => ({ user_id: m.provider_id, full_name: m.full_name, role: m.role }))
      : [];
  return <CallRoom initial={state} colleagues={colleagues} />;
}
