import { Suspense } from "react";
import { CalendarClockIcon, InfoIcon } from "lucide-react";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { ChartSkeleton } from "@/components/app/skeletons";
import { EmptyState } from "@/components/app/empty-state";
import { PatientHeader } from "@/components/app/patient-header";
import { MyDevicesLink } from "@/components/app/devices/my-devices-link";
import { DownloadMyRecord } from "@/components/app/download-my-record";
import { VitalsCharts } from "@/components/app/vitals/vitals-charts";
import { VisitsTable } from "@/components/app/chart/visits-table";
import { PrescriptionsTable } from "@/components/app/chart/prescriptions-table";
import { AppointmentsList, AppointmentStatus, When } from "@/components/app/chart/appointments-list";
import { DocumentsGrid } from "@/components/app/chart/documents-grid";
import { RequestAppointmentDialog } from "@/components/app/request-appointment-dialog";
import { AppointmentsLive } from "@/components/app/appointments-live";
import { VideoVisitLink } from "@/components/app/telehealth/video-visit-link";
import { videoVisitOpen } from "@/components/app/telehealth/video-visit-window";
import { AccessLogList } from "@/components/app/access-log-list";
import { SharingPanel } from "@/components/app/sharing/sharing-panel";
import { MyEmergencyAccesses } from "@/components/app/emergency/my-emergency-accesses";
import { getMyPatient } from "@/core/clinical/patients";
import { listVisits } from "@/core/clinical/visits";
import { listPrescriptions } from "@/core/clinical/prescriptions";
import { listAppointments } from "@/core/clinical/appointments";
import { listCareTeam } from "@/core/clinical/care-team";
import { listDocuments } from "@/core/storage/list-documents";
import { AppError } from "@/core/errors";
import { pageViewer } from "../_lib/viewer";

export const metadata = { title: "My records" };

export default function MyRecordsPage() {
  return (
    <Suspense fallback={<ChartSkeleton />}>
      <MyRecords />
    </Suspense>
  );
}

/** The patient's own record, read-only: no edit control for clinical data anywhere. */
async function MyRecords() {
  const { session, context } = await pageViewer(["patient"]);
  let patient;
  try {
    patient = await getMyPatient(session, context);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) {
      return (
        <EmptyState icon={InfoIcon} title="Your account is not linked to a patient record yet">
          Ask your care team for a portal invitation and sign up with its code.
        </EmptyState>
      );
    }
    throw e;
  }
  const [visits, prescriptions, appointments, careTeam, documents] = await Promise.all([
    listVisits(session, patient.id, context),
    listPrescriptions(session, patient.id, context),
    listAppointments(session, patient.id, context),
    listCareTeam(session, patient.id, context),
    listDocuments(session, patient.id, context),
  ]);
  const now = Date.now();
  const next = appointments
    .filter((a) => (a.status === "confirmed" || a.status === "requested") && new Date(a.starts_at).getTime() > now)
    .sort((a, b) => new Date(a.starts_at).getTime() - new Date(b.starts_at).getTime())[0];
  const bookable = careTeam.filter((m) => m.role !== "admin");
  const videoVisit = appointments.find((a) => videoVisitOpen(a, now));

  return (
    <div className="grid gap-6">
      <AppointmentsLive patientId={patient.id} />
      <Card className="gap-3 py-4" aria-labelledby="next-appt">
        <CardHeader className="flex flex-wrap items-center justify-between gap-3 px-4">
          <div className="flex items-center gap-3">
            <CalendarClockIcon aria-hidden className="text-primary size-6" />
            <div>
              <CardTitle id="next-appt"><h2>Next appointment</h2></CardTitle>
              <CardDescription>
                {next ? (
                  <span className="flex flex-wrap items-center gap-2">
                    <When start={next.starts_at} end={next.ends_at} /> with {next.provider_name ?? "your provider"} <AppointmentStatus status={next.status} />
                  </span>
                ) : (
                  "None scheduled. Request one when you need to see your care team."
                )}
              </CardDescription>
            </div>
          </div>
          <div className="flex flex-wrap gap-2">
            {videoVisit && <VideoVisitLink appointment={videoVisit} as="patient" />}
            <RequestAppointmentDialog patientId={patient.id} providers={bookable} />
          </div>
        </CardHeader>
      </Card>
      <PatientHeader patient={{ ...patient, mrn: undefined }} actions={<><MyDevicesLink /><DownloadMyRecord /></>} />
      <Alert>
        <InfoIcon aria-hidden />
        <AlertTitle>Contact your provider to update your records</AlertTitle>
        <AlertDescription>Your records are kept by your care team. If something is wrong or missing, tell them at your next visit.</AlertDescription>
      </Alert>
      <Tabs defaultValue="visits">
        <TabsList aria-label="Record sections">
          <TabsTrigger value="visits">Visits ({visits.length})</TabsTrigger>
          <TabsTrigger value="prescriptions">Prescriptions ({prescriptions.length})</TabsTrigger>
          <TabsTrigger value="documents">Documents ({documents.length})</TabsTrigger>
          <TabsTrigger value="appointments">Appointments ({appointments.length})</TabsTrigger>
          <TabsTrigger value="vitals">Vitals</TabsTrigger>
          <TabsTrigger value="access-log">Access log</TabsTrigger>
          <TabsTrigger value="sharing">Sharing</TabsTrigger>
        </TabsList>
        <TabsContent value="visits">
          <VisitsTable visits={visits} emptyHint="Your visits appear here after your care team records them." />
        </TabsContent>
        <TabsContent value="prescriptions">
          <PrescriptionsTable prescriptions={prescriptions} canChange={false} emptyHint="Medication your providers prescribe appears here." />
        </TabsContent>
        <TabsContent value="documents">
          <DocumentsGrid documents={documents} audience="patient" emptyHint="Lab results, letters and scans your care team adds appear here." />
        </TabsContent>
        <TabsContent value="appointments">
          <AppointmentsList appointments={appointments} mode="patient" emptyHint="Use “Request an appointment” to ask your care team for a time." />
        </TabsContent>
        <TabsContent value="vitals">
          <VitalsCharts patientId={patient.id} audience="patient" />
        </TabsContent>
        <TabsContent value="access-log">
          <MyEmergencyAccesses />
          <AccessLogList patientId={patient.id} audience="patient" />
        </TabsContent>
        <TabsContent value="sharing">
          <SharingPanel />
        </TabsContent>
      </Tabs>
    </div>
  );
}
