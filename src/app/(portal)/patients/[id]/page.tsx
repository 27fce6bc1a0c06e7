import { Suspense } from "react";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { ChartSkeleton } from "@/components/app/skeletons";
import { PatientHeader } from "@/components/app/patient-header";
import { VisitsTable } from "@/components/app/chart/visits-table";
import { NewVisitDialog } from "@/components/app/chart/new-visit-dialog";
import { EditDemographicsDialog } from "@/components/app/chart/edit-demographics-dialog";
import { PrescriptionsTable } from "@/components/app/chart/prescriptions-table";
import { NewPrescriptionDialog } from "@/components/app/chart/new-prescription-dialog";
import { AppointmentsList } from "@/components/app/chart/appointments-list";
import { CareTeamPanel } from "@/components/app/chart/care-team-panel";
import { DocumentsGrid } from "@/components/app/chart/documents-grid";
import { UploadDocumentDialog } from "@/components/app/chart/upload-document-dialog";
import { InviteButton } from "@/components/app/chart/invite-button";
import { AccessLogList } from "@/components/app/access-log-list";
import { MessagesPanel } from "@/components/app/chart/messages-panel";
import { MessagesTabTrigger } from "@/components/app/chart/messages-tab-trigger";
import { MESSAGES_PAGE_SIZE } from "@/components/app/chart/message-thread";
import { VitalsCharts } from "@/components/app/vitals/vitals-charts";
import { ChartOverviewPanel } from "@/components/app/chart/chart-overview";
import { BookAppointmentDialog } from "@/components/app/chart/book-appointment-dialog";
import { getChartOverview } from "@/core/clinical/overview";
import { listVisits } from "@/core/clinical/visits";
import { listPrescriptions } from "@/core/clinical/prescriptions";
import { listAppointments } from "@/core/clinical/appointments";
import { listCareTeam, listCareTeamCandidates } from "@/core/clinical/care-team";
import { listDocuments } from "@/core/storage/list-documents";
import { listMessages } from "@/core/messages/list-messages";
import { loadStorageConfig } from "@/core/storage/config";
import { listProviders } from "@/core/auth/verify-provider";
import { canPrescribe as canPrescribeWith } from "@/core/auth/provider-credentials";
import { loadChartPatient } from "./chart-patient";

export const metadata = { title: "Patient chart" };

export default function ChartPage({ params }: { params: Promise<{ id: string }> }) {
  return (
    <Suspense fallback={<ChartSkeleton />}>
      <Chart params={params} />
    </Suspense>
  );
}

async function Chart({ params }: { params: Promise<{ id: string }> }) {
  // The patient first (the layout already loaded it: cached, one audited read); nothing
  // else is read for a chart the caller cannot see.
  const { id, patient, session, viewer, context } = await loadChartPatient((await params).id);
  const [overview, visits, prescriptions, appointments, careTeam, documents] = await Promise.all([
    getChartOverview(session, id, context),
    listVisits(session, id, context),
    listPrescriptions(session, id, context),
    listAppointments(session, id, context),
    listCareTeam(session, id, context),
    listDocuments(session, id, context),
  ]);
  const isAdmin = viewer.role === "admin";
  const me = careTeam.find((m) => m.provider_id === viewer.id);
  const myRole = me?.role;
  const isAttending = viewer.role === "provider" && myRole === "attending";
  const providers =
    isAdmin && session.aal === "aal2"
      ? (await listProviders(session, { status: "verified", limit: 200, offset: 0 }, context)).data
      : isAttending
        ? await listCareTeamCandidates(session, context)
        : [];
  const canChart = viewer.role === "provider" && myRole !== undefined;
  // the seat and the licence (the database decides: app.prescribable_patient_ids)
  const canPrescribe = (myRole === "attending" || myRole === "specialist") && canPrescribeWith(me?.credential);
  // The care-team channel: staff on the team only (never the patient, nor admins). The
  // read marker moves when the tab is opened, not because the chart was rendered.
  const messages = canChart ? await listMessages(session, id, { limit: MESSAGES_PAGE_SIZE }, context, { markRead: false }) : null;
  const ec = (patient.emergency_contact ?? null) as { name?: string; relationship?: string; phone?: string } | null;
  const ins = (patient.insurance ?? null) as { provider?: string; policy_number?: string; group_number?: string } | null;

  return (
    // Keyed by patient: navigating to another chart never shows this one's state.
    <div key={patient.id} className="grid gap-6">
      <PatientHeader patient={patient} actions={!patient.has_portal_account ? <InviteButton patientId={patient.id} /> : undefined} />
      <Tabs defaultValue="overview">
        <TabsList aria-label="Chart sections">
          <TabsTrigger value="overview">Overview</TabsTrigger>
          <TabsTrigger value="demographics">Demographics</TabsTrigger>
          <TabsTrigger value="visits">Visits ({visits.length})</TabsTrigger>
          <TabsTrigger value="prescriptions">Prescriptions ({prescriptions.length})</TabsTrigger>
          <TabsTrigger value="documents">Documents ({documents.length})</TabsTrigger>
          <TabsTrigger value="appointments">Appointments</TabsTrigger>
          <TabsTrigger value="vitals">Vitals</TabsTrigger>
          {messages && <MessagesTabTrigger patientId={patient.id} unread={messages.unread_before} />}
          <TabsTrigger value="care-team">Care team</TabsTrigger>
          {isAdmin && session.aal === "aal2" && <TabsTrigger value="access-log">Access log</TabsTrigger>}
        </TabsList>
        <TabsContent value="overview">
          <ChartOverviewPanel overview={overview} />
        </TabsContent>
        <TabsContent value="demographics" className="grid gap-3">
          {(canChart || (isAdmin && session.aal === "aal2")) && (
            <div className="flex justify-end"><EditDemographicsDialog patientId={patient.id} patient={patient} /></div>
          )}
          <div className="grid gap-4 md:grid-cols-3">
            <Card className="gap-3">
              <CardHeader><CardTitle><h2>Emergency contact</h2></CardTitle></CardHeader>
              <CardContent className="text-sm">
                {ec ? (
                  <dl className="grid gap-1">
                    <dt className="sr-only">Name</dt><dd className="font-medium">{ec.name}</dd>
                    {ec.relationship && (<><dt className="sr-only">Relationship</dt><dd className="text-muted-foreground">{ec.relationship}</dd></>)}
                    <dt className="sr-only">Phone</dt><dd><a className="text-primary underline-offset-4 hover:underline" href={`tel:${ec.phone}`}>{ec.phone}</a></dd>
                  </dl>
                ) : <p className="text-muted-foreground">None on file.</p>}
              </CardContent>
            </Card>
            <Card className="gap-3">
              <CardHeader><CardTitle><h2>Address</h2></CardTitle></CardHeader>
              <CardContent className="text-sm whitespace-pre-wrap">{patient.address ?? <span className="text-muted-foreground">None on file.</span>}</CardContent>
            </Card>
            <Card className="gap-3">
              <CardHeader><CardTitle><h2>Insurance</h2></CardTitle></CardHeader>
              <CardContent className="text-sm">
                {ins ? (
                  <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
                    <dt className="text-muted-foreground">Insurer</dt><dd>{ins.provider}</dd>
                    <dt className="text-muted-foreground">Policy</dt><dd className="font-mono">{ins.policy_number}</dd>
                    {ins.group_number && (<><dt className="text-muted-foreground">Group</dt><dd className="font-mono">{ins.group_number}</dd></>)}
                  </dl>
                ) : <p className="text-muted-foreground">None on file.</p>}
              </CardContent>
            </Card>
          </div>
        </TabsContent>
        <TabsContent value="visits" className="grid gap-3">
          {canChart && <div className="flex justify-end"><NewVisitDialog patientId={patient.id} /></div>}
          <VisitsTable visits={visits} emptyHint={canChart ? "Record the first visit with “New visit”." : "Visits recorded by the care team appear here."} />
        </TabsContent>
        <TabsContent value="prescriptions" className="grid gap-3">
          {canPrescribe && <div className="flex justify-end"><NewPrescriptionDialog patientId={patient.id} visits={visits} /></div>}
          <PrescriptionsTable
            prescriptions={prescriptions}
            canChange={canPrescribe}
            emptyHint={canPrescribe ? "Prescribe with “New prescription”." : "Only the attending or a specialist on the care team who holds a prescribing credential prescribes."}
          />
        </TabsContent>
        <TabsContent value="documents" className="grid gap-3">
          {canChart && (
            <div className="flex justify-end">
              <UploadDocumentDialog patientId={patient.id} limits={uploadLimits()} />
            </div>
          )}
          <DocumentsGrid
            documents={documents}
            audience="staff"
            canReview={canChart}
            canDelete={viewer.role === "provider" && myRole === "attending"}
            emptyHint={canChart ? "Add lab results, referrals or imaging with “Upload document”." : "Documents the care team uploads (lab results, referrals, imaging) appear here."}
          />
        </TabsContent>
        <TabsContent value="appointments" className="grid gap-3">
          {canChart && (
            <div className="flex justify-end">
              <BookAppointmentDialog patientId={patient.id} providers={careTeam.filter((m) => m.role !== "admin")} selfId={viewer.id} />
            </div>
          )}
          <AppointmentsList appointments={appointments} mode={canChart ? "staff" : "none"} viewerId={session.userId} emptyHint={canChart ? "Book a time with “Book appointment”; the patient's requests appear here to confirm." : "Appointments the patient requests appear here for the care team to confirm."} />
        </TabsContent>
        <TabsContent value="vitals">
          <VitalsCharts patientId={patient.id} audience="staff" />
        </TabsContent>
        {messages && (
          // Mounted with the tab closed (hidden) so the unread count in the trigger stays live.
          <TabsContent value="messages" forceMount className="data-[state=inactive]:hidden">
            <MessagesPanel
              patientId={patient.id}
              viewerId={viewer.id}
              initial={messages.data}
              unread={messages.unread_before}
              roles={Object.fromEntries(careTeam.map((m) => [m.provider_id, m.role]))}
            />
          </TabsContent>
        )}
        <TabsContent value="care-team">
          <CareTeamPanel
            patientId={patient.id}
            members={careTeam}
            canManage={(isAdmin && session.aal === "aal2") || isAttending}
            providers={providers}
            selfId={isAttending ? viewer.id : undefined}
          />
        </TabsContent>
        {isAdmin && session.aal === "aal2" && (
          <TabsContent value="access-log">
            <AccessLogList patientId={patient.id} audience="staff" />
          </TabsContent>
        )}
      </Tabs>
    </div>
  );
}

/** The server's upload limits, so the dialog refuses a wrong file before sending it. */
function uploadLimits() {
  const c = loadStorageConfig();
  return { maxBytes: c.maxUploadBytes, allowedTypes: c.allowedTypes };
}
